/**
 * The text of a received message, whichever shape ws or wslay handed it in: a Buffer (text
 * messages always), an array of Buffers (binaryType 'fragments') or an ArrayBuffer. A Blob
 * cannot be read synchronously, so it is refused rather than printed as "[object Blob]".
 */
export function messageText(data: Buffer | ArrayBuffer | Buffer[] | Blob | string): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString();
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString();
  throw new TypeError('messageText() cannot read a Blob synchronously');
}
