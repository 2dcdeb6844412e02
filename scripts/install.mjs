#!/usr/bin/env node
// The package's install step (`"install": "node scripts/install.mjs"`). It picks the backend:
//   1. the prebuild (prebuilds/<platform>-<arch>/), or a local build in build/Release, if it loads;
//   2. else a build from source, when the wslay development files are installed
//      (node-gyp, which npm bundles; cmake-js if node-gyp is missing and cmake-js is installed);
//   3. else nothing: the package runs on its pure-TypeScript fallback.
// It prints ONE line saying which backend will be used and how to get the native one, and it
// never fails the install: whatever goes wrong, the fallback works.
//
// npm 11 runs a dependency's install script only once the user approves it, so the package
// never relies on this step: at run time the loader tries the same prebuild and falls back.
//
// Environment:
//   WSLAY_BUILD_FROM_SOURCE=1, or npm_config_build_from_source=true (`--build-from-source`):
//     build even when the prebuild loads
//   WSLAY_INSTALL_LOG=<file>: where the build's output goes (default: a file in the temp folder,
//     kept only when the build fails)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const platform = `${process.platform}-${process.arch}`;
const HOW_TO_GET_NATIVE =
  'for the native one, install the wslay development files ' +
  '(Debian/Ubuntu: apt-get install libwslay-dev; Fedora: wslay-devel; Alpine: wslay-dev; ' +
  'Homebrew: wslay) and run `npm rebuild wslay`';

function say(line) {
  console.log(`wslay: ${line}`);
}

function firstLine(error) {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? text
  );
}

/** Loads the addon in a fresh process, the way the package does at run time. */
function probeNative() {
  const script = `
    const load = require(${JSON.stringify(require.resolve('node-gyp-build'))});
    const file = load.resolve(${JSON.stringify(root)});
    require(file);
    process.stdout.write(file);`;
  const run = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  if (run.status === 0) return { ok: true, file: path.relative(root, run.stdout.trim()) };
  const reason =
    (run.stderr || '').split('\n').find((line) => /Error|error:/.test(line)) ??
    `exit ${run.status ?? run.signal}`;
  return { ok: false, reason: reason.replace(/^\s*(Uncaught\s+)?(\w*Error:\s*)?/, '').trim() };
}

function describe(file) {
  return file.startsWith('prebuilds')
    ? `prebuilt for ${platform}: ${file}`
    : `local build: ${file}`;
}

/** The command that builds from source, or null when no build tool is at hand. */
function buildCommand() {
  const nodeGyp = process.env.npm_config_node_gyp;
  if (nodeGyp && fs.existsSync(nodeGyp)) {
    return { tool: 'node-gyp', command: process.execPath, args: [nodeGyp, 'rebuild'] };
  }
  const which = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' });
  if (which.status === 0) return { tool: 'node-gyp', command: 'node-gyp', args: ['rebuild'] };
  try {
    const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
    return { tool: 'cmake-js', command: process.execPath, args: [cmakeJs, 'compile'] };
  } catch {
    return null;
  }
}

function buildFromSource() {
  const build = buildCommand();
  if (build === null) return { ok: false, reason: 'neither node-gyp nor cmake-js was found' };
  const log =
    process.env.WSLAY_INSTALL_LOG || path.join(os.tmpdir(), `wslay-install-${process.pid}.log`);
  const fd = fs.openSync(log, 'w');
  let run;
  try {
    run = spawnSync(build.command, build.args, {
      cwd: root,
      stdio: ['ignore', fd, fd],
      timeout: 15 * 60_000,
    });
  } finally {
    fs.closeSync(fd);
  }
  if (run.error || run.status !== 0) {
    fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
    const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}`;
    return {
      ok: false,
      reason: `building from source with ${build.tool} failed (${why}; log: ${log})`,
    };
  }
  if (!process.env.WSLAY_INSTALL_LOG) fs.rmSync(log, { force: true });
  const loaded = probeNative();
  if (!loaded.ok) {
    fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
    return { ok: false, reason: `the addon built from source does not load (${loaded.reason})` };
  }
  return { ok: true, tool: build.tool, file: loaded.file };
}

function main() {
  const developmentCheckout = !root.split(path.sep).includes('node_modules');
  const fromSource = [
    process.env.WSLAY_BUILD_FROM_SOURCE,
    process.env.npm_config_build_from_source,
  ].some((value) => /^(true|1)$/i.test(value ?? ''));

  if (developmentCheckout) {
    // A clone of the repository: `npm install` here must not start a build of its own.
    const loaded = probeNative();
    say(
      loaded.ok
        ? `the native backend will be used (${describe(loaded.file)})`
        : 'the fallback backend will be used until the addon is built ' +
            '(development checkout: npm run build:native, or npm run build:gyp)',
    );
    return;
  }

  let noNative = `no prebuild for ${platform}`;
  if (!fromSource) {
    const loaded = probeNative();
    if (loaded.ok) {
      say(`the native backend will be used (${describe(loaded.file)})`);
      return;
    }
    if (fs.existsSync(path.join(root, 'prebuilds', platform))) {
      noNative = `the prebuild for ${platform} does not load (${loaded.reason})`;
    }
  }

  const importCheck = import(pathToFileURL(path.join(root, 'deps', 'check-wslay.mjs')).href);
  return importCheck.then(({ checkWslay }) => {
    const wslay = checkWslay();
    if (!wslay.ok) {
      say(
        `the pure-TypeScript fallback backend will be used: ${noNative}, and ` +
          `${wslay.reason}; ${HOW_TO_GET_NATIVE}`,
      );
      return;
    }
    const built = buildFromSource();
    if (built.ok) {
      say(
        `the native backend will be used (built from source with ${built.tool} against the ` +
          `system wslay: ${built.file})`,
      );
    } else {
      say(
        `the pure-TypeScript fallback backend will be used: ${noNative}, and ${built.reason}; ` +
          'see deps/README.md, then run `npm rebuild wslay`',
      );
    }
  });
}

try {
  await main();
} catch (error) {
  say(
    `the install step hit an error (${firstLine(error)}); the package will pick a backend ` +
      `when it loads (native if it can, else the pure-TypeScript fallback); ${HOW_TO_GET_NATIVE}`,
  );
}
process.exitCode = 0;
