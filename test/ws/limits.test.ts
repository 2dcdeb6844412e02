import { constants as bufferConstants } from 'node:buffer';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Heartbeat, resolveHeartbeat } from '../../src/ws/heartbeat.js';
import { defaultLimits, resolveLimits, type Limits } from '../../src/ws/limits.js';

/** The largest message the layer can receive: one Buffer, and a 32-bit length in recvFrom(). */
const LARGEST_MESSAGE = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32 - 1);
const MiB = 1024 * 1024;

describe('connection limits', () => {
  test('without options every limit is its documented default', () => {
    expect(resolveLimits({})).toEqual({
      maxPayload: 100 * MiB,
      handshakeTimeout: 30_000,
      maxHeaderSize: 16 * 1024,
      highWaterMark: 1 * MiB,
      maxBufferedAmount: 128 * MiB,
      closeTimeout: 30_000,
    });
    expect(defaultLimits).toEqual(resolveLimits({}));
    expect(Object.isFrozen(defaultLimits)).toBe(true);
  });

  test('maxPayload 0 means no limit: the largest message the layer can receive', () => {
    expect(resolveLimits({ maxPayload: 0 }).maxPayload).toBe(LARGEST_MESSAGE);
  });

  test('maxPayload above the largest message is capped to it; below, it is kept', () => {
    expect(resolveLimits({ maxPayload: 2 ** 40 }).maxPayload).toBe(LARGEST_MESSAGE);
    expect(resolveLimits({ maxPayload: LARGEST_MESSAGE + 1 }).maxPayload).toBe(LARGEST_MESSAGE);
    expect(resolveLimits({ maxPayload: 1 }).maxPayload).toBe(1);
    expect(resolveLimits({ maxPayload: 1000 }).maxPayload).toBe(1000);
  });

  test('each limit given is kept as given, and leaves the others at their defaults', () => {
    const given: Limits = {
      maxPayload: 5,
      handshakeTimeout: 6,
      maxHeaderSize: 7,
      highWaterMark: 8,
      maxBufferedAmount: 9,
      closeTimeout: 10,
    };
    expect(resolveLimits(given)).toEqual(given);
    for (const name of Object.keys(given) as (keyof Limits)[]) {
      expect(resolveLimits({ [name]: given[name] })).toEqual({
        ...defaultLimits,
        [name]: given[name],
      });
    }
  });

  // [name, smallest accepted, largest accepted]
  const ranges: [keyof Limits, number, number][] = [
    ['maxPayload', 0, Number.MAX_SAFE_INTEGER],
    ['handshakeTimeout', 1, 2 ** 31 - 1],
    ['maxHeaderSize', 1, Number.MAX_SAFE_INTEGER],
    ['highWaterMark', 0, Number.MAX_SAFE_INTEGER],
    ['maxBufferedAmount', 0, Number.MAX_SAFE_INTEGER],
    ['closeTimeout', 1, 2 ** 31 - 1],
  ];

  test.each(ranges)('%s accepts integers from %d to %d and nothing else', (name, min, max) => {
    // maxPayload's extremes stand for the largest message (tested above).
    if (name !== 'maxPayload') {
      expect(resolveLimits({ [name]: min })[name]).toBe(min);
      expect(resolveLimits({ [name]: max })[name]).toBe(max);
    }
    const range = new RegExp(`^options\\.${name} must be an integer from ${min} to ${max}, got`);
    expect(() => resolveLimits({ [name]: min - 1 })).toThrow(RangeError);
    expect(() => resolveLimits({ [name]: min - 1 })).toThrow(range);
    if (max < Number.MAX_SAFE_INTEGER)
      expect(() => resolveLimits({ [name]: max + 1 })).toThrow(range);
    expect(() => resolveLimits({ [name]: 1.5 })).toThrow(range);
    expect(() => resolveLimits({ [name]: '10' })).toThrow(TypeError);
    expect(() => resolveLimits({ [name]: '10' })).toThrow(`options.${name} must be a number`);
  });
});

describe('heartbeat options', () => {
  test('no heartbeat unless asked for', () => {
    expect(resolveHeartbeat(undefined)).toBeNull();
  });

  test('interval and timeout are kept as given', () => {
    expect(resolveHeartbeat({ interval: 30_000, timeout: 10_000 })).toEqual({
      interval: 30_000,
      timeout: 10_000,
    });
    expect(resolveHeartbeat({ interval: 1, timeout: 2 ** 31 - 1 })).toEqual({
      interval: 1,
      timeout: 2 ** 31 - 1,
    });
  });

  test('each must be an integer from 1 to 2^31 - 1, named in the error', () => {
    for (const name of ['interval', 'timeout'] as const) {
      const other = name === 'interval' ? 'timeout' : 'interval';
      const range = new RegExp(`^options\\.heartbeat\\.${name} must be an integer from 1 to`);
      expect(() => resolveHeartbeat({ [other]: 5, [name]: 0 })).toThrow(range);
      expect(() => resolveHeartbeat({ [other]: 5, [name]: 2 ** 31 })).toThrow(range);
      expect(() => resolveHeartbeat({ [other]: 5 })).toThrow(`options.heartbeat.${name}`);
    }
    expect(() => resolveHeartbeat(5)).toThrow(TypeError);
    expect(() => resolveHeartbeat(5)).toThrow('options.heartbeat');
  });
});

describe('Heartbeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function beating(interval = 100, timeout = 50) {
    vi.useFakeTimers();
    const ping = vi.fn<() => void>();
    const onTimeout = vi.fn<() => void>();
    const heart = new Heartbeat({ interval, timeout }, ping, onTimeout);
    return { heart, ping, onTimeout };
  }

  test('pings every interval once started, and not before', () => {
    const { heart, ping } = beating();
    vi.advanceTimersByTime(1000);
    expect(ping).not.toHaveBeenCalled();
    heart.start();
    vi.advanceTimersByTime(99);
    expect(ping).toHaveBeenCalledTimes(0);
    vi.advanceTimersByTime(1);
    expect(ping).toHaveBeenCalledTimes(1);
    heart.alive();
    vi.advanceTimersByTime(100);
    expect(ping).toHaveBeenCalledTimes(2);
    heart.stop();
  });

  test('a ping without a pong for the timeout gives the peer up, once, and stops pinging', () => {
    const { heart, ping, onTimeout } = beating(100, 50);
    heart.start();
    vi.advanceTimersByTime(149);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(ping).toHaveBeenCalledTimes(1);
  });

  test('later pings do not extend an unanswered ping’s deadline', () => {
    const { heart, ping, onTimeout } = beating(10, 35);
    heart.start();
    vi.advanceTimersByTime(44);
    expect(ping).toHaveBeenCalledTimes(4);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  test('a pong clears the deadline: a peer that answers is never given up', () => {
    const { heart, ping, onTimeout } = beating(100, 50);
    heart.start();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(100);
      heart.alive();
    }
    expect(ping).toHaveBeenCalledTimes(20);
    expect(onTimeout).not.toHaveBeenCalled();
    heart.stop();
  });

  test('stop() ends the pings and the pending deadline', () => {
    const { heart, ping, onTimeout } = beating(100, 50);
    heart.start();
    vi.advanceTimersByTime(100);
    heart.stop();
    vi.advanceTimersByTime(10_000);
    expect(ping).toHaveBeenCalledTimes(1);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  test('its timers never keep the process alive', async () => {
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    let heart: Heartbeat | undefined;
    await new Promise<void>((resolve) => {
      heart = new Heartbeat({ interval: 1, timeout: 60_000 }, resolve, () => {});
      heart.start();
    });
    const timers = [...intervals.mock.results, ...timeouts.mock.results].map(
      (r) => r.value as NodeJS.Timeout,
    );
    heart?.stop();
    intervals.mockRestore();
    timeouts.mockRestore();
    expect(timers.length).toBeGreaterThanOrEqual(2);
    for (const timer of timers) expect(timer.hasRef()).toBe(false);
  });
});
