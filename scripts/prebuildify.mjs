#!/usr/bin/env node
// Builds the self-contained prebuild for this machine's platform and architecture:
//   prebuilds/<platform>-<arch>/wslay.<libc>.node   the addon (RUNPATH=$ORIGIN)
//   prebuilds/<platform>-<arch>/libwslay.so.1        wslay's shared library, found via $ORIGIN
// so that the prebuild loads where wslay is not installed.
//
// Run it through npm (`npm run prebuildify`): npm's config supplies node-gyp and, on Debian,
// nodedir=/usr, so nothing is downloaded.
//
// prebuildify runs `node-gyp rebuild`, which deletes build/. To leave the working tree's
// build/ (the cmake-js build others use) alone, it builds in a staging copy in the temp
// folder and writes only prebuilds/ here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const extraArgs = process.argv.slice(2);
function argValue(name) {
  const index = extraArgs.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index < 0) return undefined;
  const arg = extraArgs[index];
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : extraArgs[index + 1];
}
const platform = argValue('platform') ?? process.env.PREBUILD_PLATFORM ?? process.platform;
const arch = argValue('arch') ?? process.env.PREBUILD_ARCH ?? process.arch;
/** Building for another machine: the result cannot be loaded here. */
const cross = platform !== process.platform || arch.split('+')[0] !== process.arch;
const platformDir = path.join(root, 'prebuilds', `${platform}-${arch}`);

function fail(message) {
  console.error(`prebuildify: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}`);
  return result;
}

if (!process.env.npm_lifecycle_event) {
  console.warn(
    'prebuildify: not run through npm; node-gyp may try to download Node headers. ' +
      'Prefer `npm run prebuildify`.',
  );
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-prebuildify-'));
try {
  for (const entry of ['binding.gyp', 'package.json', 'native', 'deps']) {
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  fs.rmSync(platformDir, { recursive: true, force: true });

  const prebuildifyBin = require.resolve('prebuildify/bin.js');
  // Extra arguments go to prebuildify (e.g. --arch arm64 --strip-bin aarch64-linux-gnu-strip).
  run(
    process.execPath,
    [
      prebuildifyBin,
      '--napi',
      '--strip',
      '--tag-libc',
      '--tag-armv',
      '--out',
      root,
      '--cwd',
      stage,
      ...extraArgs,
    ],
    {
      env: {
        ...process.env,
        GYP_DEFINES: [process.env.GYP_DEFINES, 'bundle_wslay=1'].filter(Boolean).join(' '),
        PREBUILD_NODE_GYP:
          process.env.PREBUILD_NODE_GYP ?? process.env.npm_config_node_gyp ?? 'node-gyp',
      },
    },
  );
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}

// Check what was made: the addon must look for libwslay.so.1 beside itself, and load
// from the prebuild alone (PREBUILDS_ONLY makes node-gyp-build skip build/).
const files = fs.readdirSync(platformDir).sort();
const addon = files.find((name) => name.endsWith('.node'));
if (addon === undefined) fail(`no .node file in ${platformDir}`);
if (platform === 'linux') {
  if (!files.includes('libwslay.so.1')) fail(`libwslay.so.1 was not bundled in ${platformDir}`);
  const dynamic = spawnSync('readelf', ['-d', path.join(platformDir, addon)], { encoding: 'utf8' });
  if (dynamic.status === 0) {
    if (!/\(RUNPATH\)\s+Library runpath: \[\$ORIGIN\]/.test(dynamic.stdout)) {
      fail(`${addon} lacks RUNPATH=$ORIGIN:\n${dynamic.stdout}`);
    }
  } else {
    console.warn('prebuildify: readelf is missing; RUNPATH not checked');
  }
  if (!cross) {
    const ldd = spawnSync('ldd', [path.join(platformDir, addon)], { encoding: 'utf8' });
    const line = (ldd.stdout ?? '').split('\n').find((l) => l.includes('libwslay'));
    if (line !== undefined && !line.includes(platformDir)) {
      fail(`ldd resolves libwslay elsewhere: ${line.trim()}`);
    }
  }
}
if (cross) {
  console.warn(
    `prebuildify: built for ${platform}-${arch} on ${process.platform}-${process.arch}; ` +
      'not loaded here: test it on that platform',
  );
} else {
  run(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(require.resolve('node-gyp-build'))})` + `(${JSON.stringify(root)})`,
    ],
    { env: { ...process.env, PREBUILDS_ONLY: '1' } },
  );
}

for (const name of files) {
  const { size } = fs.statSync(path.join(platformDir, name));
  console.log(
    `prebuildify: ${path.relative(root, path.join(platformDir, name))} ` +
      `${(size / 1024).toFixed(1)} KiB`,
  );
}
