#!/usr/bin/env node
// The "prepack" step of `npm pack` and `npm publish`: builds dist/ and makes sure the tarball
// carries this platform's prebuild (scripts/prebuildify.mjs), so that a tarball packed from a
// clone installs without a compiler or a system wslay. The prebuild is made again only when
// it is missing or older than what it is built from; one that CI downloaded into prebuilds/
// is kept.
//
// WSLAY_PACK_WITHOUT_PREBUILD=1 packs without making it (the package then builds from source
// at install where it can, and otherwise runs on the fallback). A release must not use it:
// `node scripts/check-pack.mjs --require-prebuild` refuses such a tarball.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const platformDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const SOURCES = ['native', 'binding.gyp', 'deps/check-wslay.mjs'];

function say(line) {
  console.error(`prepack: ${line}`);
}

function npmRun(script) {
  const result = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

function newestMtime(entry) {
  const abs = path.join(root, entry);
  const stat = fs.statSync(abs);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(abs).map((name) => newestMtime(path.join(entry, name))));
}

/** Why the prebuild must be made, or null when the one in prebuilds/ is current. */
function staleness() {
  const addons = fs.existsSync(platformDir)
    ? fs.readdirSync(platformDir).filter((name) => name.endsWith('.node'))
    : [];
  if (addons.length === 0) return `no prebuild in ${path.relative(root, platformDir)}/`;
  const built = Math.min(
    ...addons.map((name) => fs.statSync(path.join(platformDir, name)).mtimeMs),
  );
  const sources = Math.max(...SOURCES.map(newestMtime));
  return sources > built ? 'the native sources changed since the prebuild was made' : null;
}

if (!npmRun('build:ts')) process.exit(1);

const why = staleness();
if (why === null) {
  say(`keeping the prebuild in ${path.relative(root, platformDir)}/`);
} else if (process.env.WSLAY_PACK_WITHOUT_PREBUILD === '1') {
  say(`${why}; WSLAY_PACK_WITHOUT_PREBUILD=1, so the tarball ships without one`);
} else {
  say(`${why}: making it (npm run prebuildify)`);
  if (!npmRun('prebuildify')) {
    say(
      'the prebuild could not be made. Install the wslay development files and a C++ ' +
        'toolchain (bash scripts/setup.sh), or set WSLAY_PACK_WITHOUT_PREBUILD=1 to pack ' +
        'without a prebuild (not for a release).',
    );
    process.exit(1);
  }
}
