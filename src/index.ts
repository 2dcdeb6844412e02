export { Opcode, StatusCode, ErrorCode, MSG_MORE, Rsv, isCtrlFrame } from './constants.js';
export { WslayError } from './errors.js';
export { EventContext } from './event-context.js';
export type {
  Backend, ContextOptions, EventCallbacks, FragmentedMsg, FrameRecvChunkArg, FrameRecvStartArg,
  MsgRecvArg, QueuedMsg,
} from './event-context.js';
export { FrameContext } from './frame-context.js';
export type { FrameCallbacks, FrameIocb } from './frame-context.js';
export { defaultBackend as backend, nativeLoadError } from './backends/select.js';
