import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeLoadError } from '../src/index.js';

const root = path.resolve(__dirname, '..');

/** `npx wslay <args>`, run from the sources. */
function wslay(args: string[], env: Record<string, string> = {}) {
  const { WSLAY_BACKEND: _, ...inherited } = process.env;
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src', 'cli.ts'), ...args],
    {
      cwd: root,
      env: { ...inherited, ...env },
      encoding: 'utf8',
    },
  );
  return { status: run.status, out: run.stdout, err: run.stderr };
}

describe('npx wslay doctor', () => {
  test.skipIf(nativeLoadError !== null)(
    'where the addon loads: native, because it loaded, which file, and which libwslay',
    () => {
      const { status, out } = wslay(['doctor']);
      expect(status).toBe(0);
      expect(out).toMatch(/^wslay \d+\.\d+\.\d+ on Node v\d+/);
      expect(out).toContain('backend   native\n');
      expect(out).toContain('why       the native addon loaded (WSLAY_BACKEND is not set)\n');
      expect(out).toMatch(/^addon +\/\S+\.node \((built here|prebuild)\)$/m);
      expect(out).toMatch(/^wslay +>= 1\.1 \(the addon needs its API\): \/\S*libwslay\.so\S*/m);
    },
  );

  test('WSLAY_BACKEND=fallback: the fallback, and that the variable chose it', () => {
    const { status, out } = wslay(['doctor'], { WSLAY_BACKEND: 'fallback' });
    expect(status).toBe(0);
    expect(out).toContain('backend   fallback\n');
    expect(out).toContain('why       WSLAY_BACKEND=fallback asks for it\n');
  });

  test('a WSLAY_BACKEND that makes the import throw: exit 1 with the reason', () => {
    const { status, out } = wslay(['doctor'], { WSLAY_BACKEND: 'fast' });
    expect(status).toBe(1);
    expect(out).toContain('backend   none: importing wslay throws\n');
    expect(out).toContain('WSLAY_BACKEND must be "native" or "fallback", got "fast"');
  });

  test('no command or an unknown one: the usage on stderr, exit 1', () => {
    for (const args of [[], ['docter']]) {
      const { status, err } = wslay(args);
      expect(status).toBe(1);
      expect(err).toContain('usage: wslay doctor');
    }
  });
});
