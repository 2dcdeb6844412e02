#!/usr/bin/env node
// Checks what the npm tarball holds: everything a user needs, nothing else.
//
//   npm run pack:check                       checks `npm pack --dry-run` of this folder
//   node scripts/check-pack.mjs --tarball X  checks the tarball X
//   ... --require-prebuild                   also fails when no prebuild is in it (for publishing)
//
// Prints the file list with sizes and exits 1 on a missing or unexpected file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const tarballArg = args.includes('--tarball') ? args[args.indexOf('--tarball') + 1] : undefined;
const requirePrebuild = args.includes('--require-prebuild');

/** Files every tarball must hold. */
const REQUIRED = [
  'package.json',
  'dist/cjs/index.js',
  'dist/cjs/index.d.ts',
  'dist/cjs/default-export.js',
  'dist/cjs/default-export.d.ts',
  // The `wslay` command (npx wslay doctor).
  'dist/cjs/cli.js',
  'dist/esm/index.mjs',
  'dist/esm/index.d.mts',
  'native/addon.cpp',
  'CMakeLists.txt',
  'binding.gyp',
  'deps/FindWslayForNode.cmake',
  'deps/check-wslay.mjs',
  'deps/README.md',
  'scripts/install.mjs',
];
/** Files the tarball holds when the repository has them. */
const IF_PRESENT = ['README.md', 'LICENSE', 'CHANGELOG.md'];
/** Everything allowed in the tarball. */
const ALLOWED = [
  /^package\.json$/,
  /^(README\.md|LICENSE|CHANGELOG\.md)$/,
  /^dist\/cjs\/.+\.(js|d\.ts)$/,
  /^dist\/esm\/(index|redis)\.(mjs|d\.mts)$/,
  /^prebuilds\/[a-z0-9]+-[a-z0-9+]+\/[^/]+\.(node|so\.\d+|dylib|dll)$/,
  /^native\/[^/]+\.(cpp|h)$/,
  /^CMakeLists\.txt$/,
  /^binding\.gyp$/,
  /^deps\/(FindWslayForNode\.cmake|check-wslay\.mjs|README\.md)$/,
  /^scripts\/install\.mjs$/,
];

function listFiles() {
  if (tarballArg !== undefined) {
    const tar = spawnSync('tar', ['-tvzf', tarballArg], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar -tzf ${tarballArg}: ${tar.stderr}`);
    return tar.stdout
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('d'))
      .map((line) => {
        const fields = line.trim().split(/\s+/);
        return { path: fields.at(-1).replace(/^package\//, ''), size: Number(fields[2]) };
      });
  }
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (pack.status !== 0) throw new Error(`npm pack --dry-run failed: ${pack.stderr}`);
  return JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0].files;
}

const files = listFiles().sort((a, b) => a.path.localeCompare(b.path));
const names = new Set(files.map((file) => file.path));
const problems = [];
for (const name of REQUIRED) if (!names.has(name)) problems.push(`missing: ${name}`);
for (const name of IF_PRESENT) {
  if (fs.existsSync(path.join(root, name)) && !names.has(name)) problems.push(`missing: ${name}`);
}
for (const name of names) {
  if (!ALLOWED.some((pattern) => pattern.test(name))) problems.push(`unexpected: ${name}`);
}
const prebuilds = [...names].filter((name) => name.startsWith('prebuilds/'));
if (requirePrebuild && !prebuilds.some((name) => name.endsWith('.node'))) {
  problems.push('no prebuild: run `npm run prebuildify` (or gather the CI prebuilds) first');
}
// Every path named by package.json's entry points must be in the tarball.
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const targets = [pkg.main, pkg.types];
const walk = (value) => {
  if (typeof value === 'string') targets.push(value);
  else if (value && typeof value === 'object') Object.values(value).forEach(walk);
};
walk(pkg.exports);
for (const target of targets.filter(Boolean)) {
  const name = path.posix.normalize(target);
  if (!names.has(name)) problems.push(`package.json names ${target}, which is not in the tarball`);
}

let total = 0;
for (const file of files) {
  total += file.size;
  console.log(`${String(file.size).padStart(9)}  ${file.path}`);
}
console.log(
  `${String(total).padStart(9)}  ${files.length} files` +
    (prebuilds.length === 0
      ? ' (no prebuilds: the tarball will build from source or fall back)'
      : ''),
);
if (problems.length > 0) {
  for (const problem of problems) console.error(`pack:check: ${problem}`);
  process.exit(1);
}
console.log('pack:check: ok');
