// Issue 5, case 1: the packed tarball, installed offline into a fresh project, loads the
// native backend from its prebuild while the system wslay is out of reach.
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
const title =
  'installed tarball with a prebuild, system wslay hidden' +
  (skipReason === null ? '' : ` (SKIPPED: ${skipReason})`);

describe.skipIf(skipReason !== null)(title, () => {
  let fixture: Fixture;
  let consumer: Consumer;
  let prebuildDir: string;

  beforeAll(async () => {
    fixture = await packageFixture();
    consumer = installConsumer(fixture.tarball, fixture, { scripts: 'approve', hideWslay: true });
    prebuildDir = path.join(consumer.dir, 'node_modules', 'wslay', 'prebuilds', platformTag);
  }, 600_000);

  afterAll(() => consumer?.remove());

  test('npm install --offline succeeds and the install step prints one line: native, prebuilt', () => {
    expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
    expect(consumer.installLines, consumer.install.stdout).toHaveLength(1);
    expect(consumer.installLines[0]).toMatch(
      new RegExp(
        `native backend will be used \\(prebuilt for ${platformTag}: prebuilds/${platformTag}/wslay\\.\\w+\\.node\\)`,
      ),
    );
  });

  test('the system libwslay.so.1 is out of reach where the probes run', () => {
    const script = `try { process.dlopen({ exports: {} }, 'libwslay.so.1'); console.log('loaded'); }
      catch (error) { console.log(error.message); }`;
    const hidden = exec(process.execPath, ['-e', script], { cwd: consumer.dir, hideWslay: true });
    expect(hidden.stdout).toMatch(/file too short|cannot open|No such file|invalid ELF/);
    const visible = exec(process.execPath, ['-e', script], { cwd: consumer.dir });
    // Visible, it is found and opened; Node then says it is no addon.
    expect(visible.stdout).not.toMatch(/file too short|cannot open/);
  });

  test('require(): the default backend is native, from the prebuild and its bundled libwslay', () => {
    const { cjs } = writeProbes(consumer.dir);
    const report = runProbe(cjs, { cwd: consumer.dir, hideWslay: true });
    expect(report.entry).toBe(
      path.join(consumer.dir, 'node_modules', 'wslay', 'dist', 'cjs', 'default-export.js'),
    );
    expect(report.backend).toBe('native');
    expect(report.nativeLoadError).toBeNull();
    expect(report.libraries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${prebuildDir}/wslay\\.\\w+\\.node$`)),
        path.join(prebuildDir, 'libwslay.so.1'),
      ]),
    );
    expect(report.libraries.filter((file: string) => !file.startsWith(prebuildDir))).toEqual([]);
    expect(report.echo).toEqual({ backends: ['native', 'native'], ...EXPECTED_ECHO });
  });

  test('npx wslay doctor names the backend, the prebuild and its bundled libwslay', () => {
    const bin = path.join(consumer.dir, 'node_modules', '.bin', 'wslay');
    const result = exec(process.execPath, [bin, 'doctor'], { cwd: consumer.dir, hideWslay: true });
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('backend   native\n');
    expect(result.stdout).toMatch(
      new RegExp(`^addon +${prebuildDir}/wslay\\.\\w+\\.node \\(prebuild\\)$`, 'm'),
    );
    expect(result.stdout).toContain(`${prebuildDir}/libwslay.so.1 (bundled)`);
  });

  test('import: the ESM entry gives the same native backend and the very same classes', () => {
    const { esm } = writeProbes(consumer.dir);
    const report = runProbe(esm, { cwd: consumer.dir, hideWslay: true });
    expect(report.entry).toBe(
      `file://${path.join(consumer.dir, 'node_modules', 'wslay', 'dist', 'esm', 'index.mjs')}`,
    );
    expect(report.backend).toBe('native');
    expect(report.sameClasses).toBe(true);
    expect(report.libraries.every((file: string) => file.startsWith(prebuildDir))).toBe(true);
    expect(report.echo).toEqual({ backends: ['native', 'native'], ...EXPECTED_ECHO });
  });

  test('with the install script denied (or --ignore-scripts), the prebuild still loads', () => {
    const denied = installConsumer(fixture.tarball, fixture, { scripts: 'deny', hideWslay: true });
    try {
      expect(denied.install.status, describeRun(denied.install)).toBe(0);
      expect(denied.installLines).toEqual([]);
      const report = runProbe(writeProbes(denied.dir).cjs, { cwd: denied.dir, hideWslay: true });
      expect(report.backend).toBe('native');
      expect(report.echo.received).toEqual(EXPECTED_ECHO.received);
    } finally {
      denied.remove();
    }
  });

  test("unreviewed (npm 11.19 default), the install script runs with npm's notice", () => {
    const unreviewed = installConsumer(fixture.tarball, fixture, {
      scripts: 'unreviewed',
      hideWslay: true,
    });
    try {
      expect(unreviewed.install.status, describeRun(unreviewed.install)).toBe(0);
      expect(unreviewed.installLines).toHaveLength(1);
      expect(unreviewed.install.stderr).toMatch(/not yet covered by allowScripts/);
      expect(unreviewed.installLines[0]).toMatch(/native backend will be used \(prebuilt/);
    } finally {
      unreviewed.remove();
    }
  });
});
