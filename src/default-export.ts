/**
 * The package's entry point, shaped as the ws package's: `module.exports` (and so the ESM
 * default export) is the WebSocket class, carrying `Server`, `WebSocketServer`, `WebSocket`
 * and `createWebSocketStream` as ws's does, and every other export of this package by name
 * (`require('wslay').EventContext`). Its namespace holds @types/ws's types (`WebSocket.RawData`,
 * `WebSocket.ServerOptions`, ...) and every type of this package.
 *
 * scripts/build-ts.mjs checks that every export of index.ts is reachable from here, as a
 * value and as a type, so a new export cannot be forgotten.
 */
import type { AddressInfo as NetAddressInfo } from 'node:net';
import * as api from './index.js';

const WebSocket = Object.assign(api.WebSocket, { ...api, Server: api.WebSocketServer });
/** `WebSocket` as a type: a connection, as with ws's default export. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- it names the class's instances
interface WebSocket extends api.WebSocket {}

// A namespace, as @types/ws has, is the only way to hang types on an `export =` value.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace WebSocket {
  // The classes, as types.
  export type WebSocket = api.WebSocket;
  export type WebSocketServer = api.WebSocketServer;
  export type Server = api.WebSocketServer;
  export type EventContext = api.EventContext;
  export type FrameContext = api.FrameContext;
  export type WslayError = api.WslayError;
  export type Event = api.Event;
  export type CloseEvent = api.CloseEvent;
  export type ErrorEvent = api.ErrorEvent;
  export type MessageEvent = api.MessageEvent;

  // @types/ws's names for what this package calls otherwise, or does not name.
  /** What a message listener may be given, or a string. */
  export type Data = string | api.RawData;
  /** Certificates and keys, as `tls.connect()` takes them. */
  export type CertMeta = string | string[] | Buffer | Buffer[];
  export type VerifyClientCallbackSync = (info: api.VerifyClientInfo) => boolean;
  export type VerifyClientCallbackAsync = (
    info: api.VerifyClientInfo,
    callback: api.VerifyClientCallback,
  ) => void;
  export type EventListenerOptions = api.AddEventListenerOptions;
  export type AddressInfo = NetAddressInfo;

  // Every type of this package.
  export type AddEventListenerOptions = api.AddEventListenerOptions;
  export type Backend = api.Backend;
  export type BinaryType = api.BinaryType;
  export type BroadcastOptions = api.BroadcastOptions;
  export type BroadcastOverflow = api.BroadcastOverflow;
  export type Broker = api.Broker;
  export type BrokerSink = api.BrokerSink;
  export type ClientOptions = api.ClientOptions;
  export type ConnectionOptions = api.ConnectionOptions;
  export type ContextOptions = api.ContextOptions;
  export type EventCallbacks = api.EventCallbacks;
  export type EventListener<E = api.Event> = api.EventListener<E>;
  export type FinishRequestCallback = api.FinishRequestCallback;
  export type FragmentedMsg = api.FragmentedMsg;
  export type FrameCallbacks = api.FrameCallbacks;
  export type FrameIocb = api.FrameIocb;
  export type FrameRecvChunkArg = api.FrameRecvChunkArg;
  export type FrameRecvStartArg = api.FrameRecvStartArg;
  export type HeartbeatOptions = api.HeartbeatOptions;
  export type Limits = api.Limits;
  export type MsgRecvArg = api.MsgRecvArg;
  export type PerMessageDeflateOptions = api.PerMessageDeflateOptions;
  export type PublishOptions = api.PublishOptions;
  export type QueuedMsg = api.QueuedMsg;
  export type RawData = api.RawData;
  export type ReceivedMessage<Data = api.RawData> = api.ReceivedMessage<Data>;
  export type RecvFromListener = api.RecvFromListener;
  export type SendCallback = api.SendCallback;
  export type SendOptions = api.SendOptions;
  export type ServerOptions = api.ServerOptions;
  export type VerifyClientCallback = api.VerifyClientCallback;
  export type VerifyClientInfo = api.VerifyClientInfo;
  export type WebSocketEventMap = api.WebSocketEventMap;
  export type WebSocketEvents = api.WebSocketEvents;
  export type WebSocketServerEvents = api.WebSocketServerEvents;
}

export = WebSocket;
