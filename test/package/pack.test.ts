// The npm tarball holds what a user needs (dist/, the prebuild, the sources to build from, the
// install step) and nothing else (no tests, no src/, no build folders, no node_modules). The
// fixture packs a copy of the repository without prebuilds/, as a fresh clone is: `npm pack`
// itself (its prepack step) must make the prebuild.
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  type Fixture,
  describeRun,
  exec,
  packageFixture,
  platformTag,
  repoRoot,
} from './helpers.js';

describe('npm pack', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await packageFixture();
  }, 600_000);

  test('scripts/check-pack.mjs accepts the tarball, prebuild required', () => {
    const result = exec(
      process.execPath,
      [
        path.join(repoRoot, 'scripts', 'check-pack.mjs'),
        '--tarball',
        fixture.tarball,
        '--require-prebuild',
      ],
      { cwd: repoRoot },
    );
    expect(result.status, describeRun(result)).toBe(0);
  });

  test('npm pack from a clone ships the prebuild with its own libwslay, and no working tree', () => {
    const names = fixture.files.map((file) => file.path);
    expect(names).toEqual(
      expect.arrayContaining([
        `prebuilds/${platformTag}/libwslay.so.1`,
        expect.stringMatching(new RegExp(`^prebuilds/${platformTag}/wslay\\.\\w+\\.node$`)),
        'dist/esm/index.mjs',
        'dist/cjs/index.js',
        'scripts/install.mjs',
        'binding.gyp',
      ]),
    );
    const leaks = names.filter(
      (name) =>
        /^(test|src|build|node_modules|examples|bench|docs|\.ci|\.git)\//.test(name) ||
        (/\.(tgz|ts)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) ||
        /^scripts\/(?!install\.mjs$)/.test(name) ||
        /^(tsconfig|vitest|typedoc)\b/.test(name),
    );
    expect(leaks).toEqual([]);
    // A few hundred KiB; a sudden jump means something was packed by mistake.
    expect(fixture.size).toBeLessThan(1024 * 1024);
  });

  test('the tarball without prebuilds differs only by prebuilds/', () => {
    const list = (tarball: string) =>
      exec('tar', ['-tzf', tarball], { cwd: repoRoot })
        .stdout.trim()
        .split('\n')
        .map((line) => line.replace(/^package\//, ''))
        .filter((name) => name !== '' && !name.endsWith('/'));
    const full = list(fixture.tarball);
    const lean = list(fixture.tarballNoPrebuilds);
    expect(full.filter((name) => !name.startsWith('prebuilds/')).sort()).toEqual(lean.sort());
  });
});
