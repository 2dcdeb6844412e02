export { Opcode, StatusCode, ErrorCode, MSG_MORE, Rsv, isCtrlFrame } from './constants.js';
export { WslayError } from './errors.js';
export { EventContext } from './event-context.js';
export type {
  Backend,
  ContextOptions,
  EventCallbacks,
  FragmentedMsg,
  FrameRecvChunkArg,
  FrameRecvStartArg,
  MsgRecvArg,
  QueuedMsg,
  RecvFromListener,
} from './event-context.js';
export { FrameContext } from './frame-context.js';
export type { FrameCallbacks, FrameIocb } from './frame-context.js';
export { defaultBackend as backend, nativeLoadError } from './backends/select.js';
export {
  WebSocket,
  WebSocketServer,
  createWebSocketStream,
  Event,
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  defaultLimits,
} from './ws/index.js';
export type {
  AddEventListenerOptions,
  BinaryType,
  BroadcastOptions,
  BroadcastOverflow,
  Broker,
  BrokerSink,
  ClientOptions,
  ConnectionOptions,
  FinishRequestCallback,
  EventListener,
  HeartbeatOptions,
  Limits,
  PerMessageDeflateOptions,
  PublishOptions,
  RawData,
  ReceivedMessage,
  SendCallback,
  SendOptions,
  ServerOptions,
  VerifyClientCallback,
  VerifyClientInfo,
  WebSocketEventMap,
  WebSocketEvents,
  WebSocketServerEvents,
} from './ws/index.js';
