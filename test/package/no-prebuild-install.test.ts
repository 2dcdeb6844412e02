// Issue 5, case 2: the tarball without prebuilds. With no wslay reachable the install still
// succeeds and the package runs on the fallback; with the wslay development files the install
// step builds the addon from source.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Consumer,
  EXPECTED_ECHO,
  type Fixture,
  describeRun,
  exec,
  hidingUnavailable,
  installConsumer,
  packageFixture,
  platformTag,
  runProbe,
  writeProbes,
} from './helpers.js';

const skipReason = hidingUnavailable();
if (skipReason !== null)
  console.warn(`test/package: skipping the hidden-wslay cases: ${skipReason}`);

describe.skipIf(skipReason !== null)(
  'installed tarball without prebuilds, no wslay reachable' +
    (skipReason === null ? '' : ` (SKIPPED: ${skipReason})`),
  () => {
    let fixture: Fixture;
    let consumer: Consumer;

    beforeAll(async () => {
      fixture = await packageFixture();
      consumer = installConsumer(fixture.tarballNoPrebuilds, fixture, {
        scripts: 'approve',
        hideWslay: true,
      });
    }, 600_000);

    afterAll(() => consumer?.remove());

    test('the install succeeds and its one line says fallback, and how to get native', () => {
      expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
      expect(consumer.installLines, consumer.install.stdout).toHaveLength(1);
      const [line] = consumer.installLines;
      expect(line).toMatch(/pure-TypeScript fallback backend will be used/);
      expect(line).toContain(`no prebuild for ${platformTag}`);
      expect(line).toMatch(/wslay headers .* not found/);
      expect(line).toContain('libwslay-dev');
      expect(line).toContain('npm rebuild wslay');
    });

    test('require() and import default to the fallback, and echo works', () => {
      const { cjs, esm } = writeProbes(consumer.dir);
      for (const file of [cjs, esm]) {
        const report = runProbe(file, { cwd: consumer.dir, hideWslay: true });
        expect(report.backend).toBe('fallback');
        expect(report.nativeLoadError).toMatch(/No native build was found/);
        expect(report.libraries).toEqual([]);
        expect(report.echo).toEqual({ backends: ['fallback', 'fallback'], ...EXPECTED_ECHO });
      }
    });

    test('WSLAY_BACKEND=native fails at import with a message that says how to fix it', () => {
      const result = exec(process.execPath, ['-e', "require('wslay')"], {
        cwd: consumer.dir,
        hideWslay: true,
        env: { WSLAY_BACKEND: 'native' },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/WSLAY_BACKEND=native, but the native addon cannot be loaded/);
      expect(result.stderr).toContain('libwslay-dev');
    });
  },
);

describe('installed tarball without prebuilds, wslay development files installed', () => {
  let fixture: Fixture;
  let consumer: Consumer;

  beforeAll(async () => {
    fixture = await packageFixture();
    consumer = installConsumer(fixture.tarballNoPrebuilds, fixture, { scripts: 'approve' });
  }, 600_000);

  afterAll(() => consumer?.remove());

  test('the install step builds the addon from source with node-gyp', () => {
    expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
    expect(consumer.installLines, consumer.install.stdout).toEqual([
      'wslay: the native backend will be used (built from source with node-gyp against the ' +
        'system wslay: build/Release/wslay.node)',
    ]);
  });

  test('the package then runs on that build, linked to the system libwslay', () => {
    const report = runProbe(writeProbes(consumer.dir).esm, { cwd: consumer.dir });
    const built = path.join(
      consumer.dir,
      'node_modules',
      'wslay',
      'build',
      'Release',
      'wslay.node',
    );
    expect(report.backend).toBe('native');
    expect(report.libraries).toContain(built);
    expect(
      report.libraries.some((file: string) => /^\/(usr\/)?lib.*\/libwslay\.so/.test(file)),
    ).toBe(true);
    expect(report.echo).toEqual({ backends: ['native', 'native'], ...EXPECTED_ECHO });
  });
});
