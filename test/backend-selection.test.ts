import { expect, test } from 'vitest';
import { tmpdir } from 'node:os';
import { backend, nativeLoadError, EventContext } from '../src/index.js';
import { chooseDefault } from '../src/backends/select.js';
import { loadNativeBackend } from '../src/backends/native.js';

const loaded = loadNativeBackend();
const missing = loadNativeBackend(tmpdir());

test('the default backend is native where the addon loads, or as WSLAY_BACKEND says', () => {
  const forced = process.env.WSLAY_BACKEND;
  const expected =
    forced === 'fallback' || forced === 'native'
      ? forced
      : nativeLoadError === null
        ? 'native'
        : 'fallback';
  expect(backend).toBe(expected);
});

test.runIf(process.env.WSLAY_REQUIRE_NATIVE === '1')('CI requires the native addon to load', () => {
  expect(nativeLoadError).toBeNull();
  expect(loaded.ok).toBe(true);
});

test('a folder without the addon fails to load with a reason', () => {
  expect(missing.ok).toBe(false);
  if (!missing.ok) expect(missing.reason).toMatch(/No native build was found/);
});

test('WSLAY_BACKEND picks the default: unset, fallback, native', () => {
  expect(chooseDefault(undefined, missing)).toBe('fallback');
  expect(chooseDefault('', missing)).toBe('fallback');
  expect(chooseDefault('fallback', loaded)).toBe('fallback');
  if (loaded.ok) {
    expect(chooseDefault(undefined, loaded)).toBe('native');
    expect(chooseDefault('native', loaded)).toBe('native');
  }
});

test('forcing native where it cannot load throws saying why and how to fix it', () => {
  expect(() => chooseDefault('native', missing)).toThrow(
    /WSLAY_BACKEND=native.*cannot be loaded.*No native build.*libwslay-dev/s,
  );
});

test('an unknown WSLAY_BACKEND value is refused', () => {
  expect(() => chooseDefault('wasm', loaded)).toThrow(
    /WSLAY_BACKEND must be "native" or "fallback"/,
  );
});

test('one process runs both backends side by side', () => {
  const a = EventContext.server({}, { backend: 'fallback' });
  expect(a.backend).toBe('fallback');
  if (nativeLoadError === null) {
    const b = EventContext.server({}, { backend: 'native' });
    expect(b.backend).toBe('native');
    b.free();
  } else {
    expect(() => EventContext.server({}, { backend: 'native' })).toThrow(
      /native backend is not available/,
    );
  }
  a.free();
});
