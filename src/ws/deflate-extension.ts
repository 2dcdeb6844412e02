import { isUtf8 } from 'node:buffer';
import { Opcode, StatusCode } from '../constants.js';
import { EXTENSION_NAME, type DeflateConfig, type DeflateParams } from './permessage-deflate.js';
import { InflateError, MessageDeflater, MessageInflater } from './zlib-contexts.js';

/**
 * permessage-deflate on one connection, once negotiated: which messages to compress, and
 * the compressor and decompressor, each made with the first message that needs it.
 */
export class DeflateExtension {
  readonly name = EXTENSION_NAME;
  readonly #params: DeflateParams;
  readonly #config: DeflateConfig;
  readonly #isServer: boolean;
  readonly #maxPayload: number;
  #deflater: MessageDeflater | null = null;
  #inflater: MessageInflater | null = null;

  constructor(params: DeflateParams, config: DeflateConfig, isServer: boolean, maxPayload: number) {
    this.#params = params;
    this.#config = config;
    this.#isServer = isServer;
    this.#maxPayload = maxPayload;
  }

  get #ownNoContextTakeover(): boolean {
    return this.#isServer
      ? this.#params.serverNoContextTakeover
      : this.#params.clientNoContextTakeover;
  }

  /**
   * As ws: `compress` is the send() option; without context takeover on our side, messages
   * under the threshold go uncompressed, since each would cost a whole deflate block alone.
   */
  shouldCompress(length: number, compress: boolean): boolean {
    return compress && (!this.#ownNoContextTakeover || length >= this.#config.threshold);
  }

  deflate(data: Uint8Array): Buffer {
    this.#deflater ??= new MessageDeflater(
      (this.#isServer ? this.#params.serverMaxWindowBits : this.#params.clientMaxWindowBits) ?? 15,
      this.#ownNoContextTakeover,
      this.#config.zlibDeflateOptions,
      this.#config.pools,
    );
    return this.#deflater.deflate(data);
  }

  /**
   * A compressed data message's payload, inflated. Throws an InflateError with the close
   * code to send: 1009 past maxPayload, 1007 for data that does not inflate or text that
   * is not UTF-8.
   */
  inflate(opcode: number, payload: Buffer): Buffer {
    this.#inflater ??= new MessageInflater(
      (this.#isServer ? this.#params.clientMaxWindowBits : this.#params.serverMaxWindowBits) ?? 15,
      this.#isServer ? this.#params.clientNoContextTakeover : this.#params.serverNoContextTakeover,
      this.#maxPayload,
      this.#config.pools,
    );
    const data = this.#inflater.inflate(payload);
    if (opcode === Opcode.TEXT_FRAME && !isUtf8(data)) {
      throw new InflateError('Invalid UTF-8 sequence', StatusCode.INVALID_FRAME_PAYLOAD_DATA);
    }
    return data;
  }

  /** Frees the zlib streams and the history kept for them. */
  close(): void {
    this.#deflater?.close();
    this.#inflater?.close();
    this.#deflater = null;
    this.#inflater = null;
  }
}
