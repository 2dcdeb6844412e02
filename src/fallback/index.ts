import type { BackendImpl } from '../backends/engine.js';
import { FallbackEventEngine } from './event-engine.js';
import { FallbackFrameEngine } from './frame-engine.js';

/** wslay 1.1.1 in TypeScript, for platforms without the native addon. */
export const fallbackBackend: BackendImpl = {
  createEventEngine: (server, callbackMask) => new FallbackEventEngine(server, callbackMask),
  createFrameEngine: () => new FallbackFrameEngine(),
};
