// Issue 11: ws programs run unchanged. Each program in programs/ is written for ws; it runs
// as it is against ws, and with its import changed to 'wslay' against this package on each
// backend, and must print the same lines. The TypeScript one must also type-check against
// both packages' types.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../helpers/backends.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const programs = path.join(import.meta.dirname, 'programs');
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** A folder where `ws` is the ws package and `wslay` this package (its dist/ build). */
let work: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cjs', 'default-export.js'))) {
    throw new Error('dist/ is not built: run `npm run build:ts` first');
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-migration-'));
  const modules = path.join(work, 'node_modules');
  fs.mkdirSync(path.join(modules, '@types'), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(modules, 'wslay'), 'dir');
  for (const name of ['ws', '@types/ws', '@types/node']) {
    fs.symlinkSync(path.join(repoRoot, 'node_modules', name), path.join(modules, name), 'dir');
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The program with its imports of ws turned into imports of `module`. */
function install(name: string, module: 'ws' | 'wslay'): string {
  const source = fs.readFileSync(path.join(programs, name), 'utf8');
  const dir = path.join(work, module);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, source.replace(/(from |require\()'ws'/g, `$1'${module}'`));
  return file;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const [command, args] = file.endsWith('.ts') ? [tsx, [file]] : [process.execPath, [file]];
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: path.dirname(file),
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const names = fs.readdirSync(programs).sort();

describe.each(names)('%s', (name) => {
  let reference: Run;

  beforeAll(async () => {
    reference = await run(install(name, 'ws'), {});
  });

  test('runs against ws', () => {
    expect(reference.stderr).toBe('');
    expect(reference.status).toBe(0);
    expect(reference.stdout).toMatch(/\ndone\n$/);
  });

  test.each(backends)('prints the same against wslay (%s)', async (backend) => {
    const result = await run(install(name, 'wslay'), { WSLAY_BACKEND: backend });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(reference.stdout);
    expect(result.status).toBe(0);
  });

  // One compiler run for both copies: tsc is slow on a busy machine.
  test.runIf(name.endsWith('.ts'))(
    'type-checks against both packages',
    () => {
      const files = [install(name, 'ws'), install(name, 'wslay')];
      const result = spawnSync(
        process.execPath,
        [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--types', 'node', ...files],
        { cwd: work, encoding: 'utf8' },
      );
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
    120_000,
  );
});
