/**
 * The benchmarks run tsc's output, as users do (the package ships tsc-compiled CommonJS),
 * not the sources through tsx: tsx (esbuild with keepNames) wraps every named closure in
 * `__name()`, which defines an own `name` property on each function and so gives it a
 * dictionary of properties. That costs ~5 KiB of heap per connection of this package's
 * server (21 closures) and skews CPU profiles; `ws`, loaded as plain JavaScript from
 * node_modules, pays nothing of the kind.
 *
 * `build()` compiles src/ and bench/ with bench/tsconfig.json into a directory of this
 * process's own under bench/results/.build (so two runs never share one), removed when the
 * process exits; JavaScript is emitted even when the tree has type errors elsewhere.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './child.js';

const BUILD_ROOT = path.join(REPO_ROOT, 'bench', 'results', '.build');
export const BUILD_DIR = path.join(BUILD_ROOT, String(process.pid));

let built = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function build(): string {
  if (built) return BUILD_DIR;
  // Builds left behind by runs that did not exit normally.
  if (fs.existsSync(BUILD_ROOT)) {
    for (const entry of fs.readdirSync(BUILD_ROOT)) {
      if (!/^\d+$/.test(entry) || !alive(Number(entry))) {
        fs.rmSync(path.join(BUILD_ROOT, entry), { recursive: true, force: true });
      }
    }
  }
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(
      process.execPath,
      [tsc, '-p', path.join(REPO_ROOT, 'bench'), '--outDir', BUILD_DIR],
      { stdio: 'pipe' },
    );
  } catch {
    // Type errors still emit JavaScript; a missing output is caught below.
  }
  process.on('exit', () => fs.rmSync(BUILD_DIR, { recursive: true, force: true }));
  for (const file of [
    'src/index.js',
    'bench/micro/worker.js',
    'bench/e2e/server.js',
    'bench/e2e/client.js',
  ]) {
    if (!fs.existsSync(path.join(BUILD_DIR, file)))
      throw new Error(`tsc did not emit ${file} into ${BUILD_DIR}`);
  }
  // src/backends/native.js looks for the addon in build/Release two levels above itself.
  fs.symlinkSync(path.join(REPO_ROOT, 'build'), path.join(BUILD_DIR, 'build'));
  built = true;
  return BUILD_DIR;
}

/**
 * The script to run for `rel` (a path under bench/, e.g. 'micro/worker.ts'): its compiled
 * JavaScript once `build()` ran, else the TypeScript source (run through tsx).
 */
export function script(rel: string): { file: string; tsx: boolean } {
  if (built)
    return { file: path.join(BUILD_DIR, 'bench', rel.replace(/\.ts$/, '.js')), tsx: false };
  return { file: path.join(REPO_ROOT, 'bench', rel), tsx: true };
}
