import { Buffer } from 'node:buffer';

/**
 * Zero-length views, shared rather than allocated each time (nothing can be written into
 * them). The low level hands out a plain Uint8Array, as the addon does; the WebSocket layer
 * a Buffer, as ws does.
 */
export const EMPTY_BYTES = new Uint8Array(0);
export const EMPTY_BUFFER = Buffer.alloc(0);
