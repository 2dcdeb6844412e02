export { WebSocket } from './websocket.js';
export type {
  BinaryType,
  BroadcastOverflow,
  ClientOptions,
  ConnectionOptions,
  FinishRequestCallback,
  HeartbeatOptions,
  RawData,
  SendCallback,
  SendOptions,
  WebSocketEvents,
} from './websocket.js';
export { WebSocketServer } from './websocket-server.js';
export type {
  BroadcastOptions,
  PublishOptions,
  ServerOptions,
  VerifyClientCallback,
  VerifyClientInfo,
  WebSocketServerEvents,
} from './websocket-server.js';
export { createWebSocketStream } from './stream.js';
export { Event, CloseEvent, ErrorEvent, MessageEvent } from './event-target.js';
export type { AddEventListenerOptions, EventListener, WebSocketEventMap } from './event-target.js';
export type { ReceivedMessage } from './message-iterator.js';
export { defaultLimits } from './limits.js';
export type { Limits } from './limits.js';
export type { Broker, BrokerSink } from './broker.js';
export type { PerMessageDeflateOptions } from './permessage-deflate.js';
