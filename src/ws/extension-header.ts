/**
 * The Sec-WebSocket-Extensions header (RFC 6455 §9.1), read and written with the same
 * verdicts as the ws package: a list of extensions, each a token with `;`-separated
 * parameters, a parameter a token with an optional value that is a token or a quoted
 * string of token characters (backslash escapes allowed). Whitespace may surround `,` and
 * `;` but not `=`, and may not start or end the header.
 */

/** A parameter's values in the order given; a parameter without `=` has the value true. */
export type ExtensionParams = Map<string, (string | true)[]>;

/** Each extension named in a header, with the parameter sets of each of its elements. */
export type ExtensionOffers = Map<string, ExtensionParams[]>;

/** RFC 7230 §3.2.6 tchar. */
function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x21 && code <= 0x7e && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(code)))
  );
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Reads one header value left to right; every `read*` method throws a SyntaxError. */
class HeaderReader {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  get done(): boolean {
    return this.#at >= this.#text.length;
  }

  #fail(): never {
    throw this.done
      ? new SyntaxError('Unexpected end of input')
      : new SyntaxError(`Unexpected character at index ${this.#at}`);
  }

  #code(): number {
    return this.#text.charCodeAt(this.#at);
  }

  skipSpaces(): void {
    while (!this.done && isSpace(this.#code())) this.#at++;
  }

  /** Consumes `char` if it is next. */
  take(char: string): boolean {
    if (this.#text[this.#at] !== char) return false;
    this.#at++;
    return true;
  }

  readToken(): string {
    const start = this.#at;
    while (!this.done && isTokenChar(this.#code())) this.#at++;
    if (this.#at === start) this.#fail();
    return this.#text.slice(start, this.#at);
  }

  /** A quoted string whose unescaped content is a non-empty run of token characters. */
  readQuoted(): string {
    let value = '';
    for (;;) {
      if (this.done) this.#fail();
      const code = this.#code();
      if (code === 0x22 && value !== '') {
        this.#at++;
        return value;
      }
      if (code === 0x5c) this.#at++;
      if (this.done || !isTokenChar(this.#code())) this.#fail();
      value += this.#text[this.#at++];
    }
  }

  /** After an item: the separator that follows (`,` or `;`), or null at the end. */
  readSeparator(): ',' | ';' | null {
    this.skipSpaces();
    if (this.done) return null;
    if (this.take(',')) return ',';
    if (this.take(';')) return ';';
    return this.#fail();
  }

  expectMore(): void {
    this.skipSpaces();
    if (this.done) this.#fail();
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Parses a Sec-WebSocket-Extensions value; a SyntaxError says where it is malformed. */
export function parseExtensions(header: string): ExtensionOffers {
  const offers: ExtensionOffers = new Map();
  const reader = new HeaderReader(header);
  // Whitespace may follow a separator, never lead the header.
  for (let separator: ',' | ';' | null = ','; separator !== null;) {
    if (separator === ',') {
      const name = reader.readToken();
      const params: ExtensionParams = new Map();
      push(offers, name, params);
      separator = reader.readSeparator();
      while (separator === ';') {
        reader.skipSpaces();
        const key = reader.readToken();
        let value: string | true = true;
        if (reader.take('=')) value = reader.take('"') ? reader.readQuoted() : reader.readToken();
        push(params, key, value);
        separator = reader.readSeparator();
      }
      if (separator === ',') reader.expectMore();
    }
  }
  if (header.length > 0 && isSpace(header.charCodeAt(header.length - 1))) {
    throw new SyntaxError('Unexpected end of input');
  }
  return offers;
}

/** One extension element: `name; key; key=value`, values written as tokens. */
export function formatExtension(
  name: string,
  params: Iterable<[string, string | number | true]>,
): string {
  const parts = [name];
  for (const [key, value] of params) parts.push(value === true ? key : `${key}=${value}`);
  return parts.join('; ');
}
