/** Argument checks shared by the public classes: nothing unchecked reaches a backend. */

export function show(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'function':
      return 'a function';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
    case 'symbol':
      return value.toString();
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return String(value);
  }
}

export function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`${name} must be a boolean, got ${show(value)}`);
  return value;
}

export function bytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${show(value)}`);
  }
  return value;
}

/** Strings are sent as UTF-8, as the API promises. */
export function bytesOrString(value: unknown, name: string): Uint8Array {
  // Buffer.from takes small strings from Node's pool: TextEncoder allocates a new ArrayBuffer each time.
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a string or a Uint8Array, got ${show(value)}`);
  }
  return value;
}

export function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${name} must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

export function optionalFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${show(value)}`);
  }
}

/**
 * Checks what a recv/send/read callback returned: a byte count from 0 to `max`, or -1.
 * Returns the error to report instead when it is not.
 */
export function ioResultError(result: unknown, max: number, name: string): Error | null {
  if (typeof result !== 'number' || !Number.isInteger(result)) {
    return new TypeError(`the ${name} callback must return an integer, got ${show(result)}`);
  }
  if (result < -1 || result > max) {
    return new RangeError(`the ${name} callback returned ${result}, outside -1..${max}`);
  }
  return null;
}
