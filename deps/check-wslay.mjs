#!/usr/bin/env node
// Is wslay >= 1.1 installed for building the native addon? Answers without building it.
//
//   node deps/check-wslay.mjs             exit 0 and one line when the development files are
//                                         usable, else exit 1 and one line saying what is missing
//   node deps/check-wslay.mjs --lib-path  print the real path of the shared library that the
//                                         linker would use (binding.gyp copies it beside a prebuild)
//
// The check compiles and links a tiny program against wslay with the C++ compiler that
// node-gyp would use ($CXX, else c++). It names functions that appeared in wslay 1.1.0
// (wslay_event_queue_msg_ex, wslay_event_config_set_allowed_rsv_bits), so an older library
// fails to link. wslayver.h is not consulted: wslay 1.1.1 ships it saying "1.0.1-DEV".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE = `#include <wslay/wslay.h>
int main(void) {
  void (*set_rsv)(wslay_event_context_ptr, uint8_t) = wslay_event_config_set_allowed_rsv_bits;
  int (*queue_ex)(wslay_event_context_ptr, const struct wslay_event_msg *, uint8_t) =
      wslay_event_queue_msg_ex;
  return set_rsv == 0 || queue_ex == 0;
}
`;

const SONAME = { linux: 'libwslay.so.1', darwin: 'libwslay.1.dylib' };

function compiler() {
  return (process.env.CXX || 'c++').trim().split(/\s+/);
}

function envFlags(...names) {
  return names.flatMap((name) => (process.env[name] || '').trim().split(/\s+/).filter(Boolean));
}

/**
 * Checks that a C++ compiler can build and link against wslay >= 1.1.
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function checkWslay() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-check-'));
  try {
    const source = path.join(dir, 'probe.cc');
    fs.writeFileSync(source, PROBE);
    const [cxx, ...cxxArgs] = compiler();
    const args = [
      ...cxxArgs,
      ...envFlags('CPPFLAGS', 'CXXFLAGS'),
      source,
      '-o',
      path.join(dir, 'probe'),
      ...envFlags('LDFLAGS'),
      '-lwslay',
    ];
    const run = spawnSync(cxx, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (run.error) {
      return {
        ok: false,
        reason: `no C++ compiler (${cxx}: ${run.error.code ?? run.error.message})`,
      };
    }
    if (run.status !== 0) {
      const text = `${run.stderr}${run.stdout}`;
      if (/wslay\/wslay\.h/.test(text) && /No such file|not found/i.test(text)) {
        return { ok: false, reason: 'the wslay headers (wslay/wslay.h) were not found' };
      }
      if (/-lwslay|lwslay/.test(text)) {
        return { ok: false, reason: 'the wslay library (-lwslay) was not found' };
      }
      if (/queue_msg_ex|allowed_rsv_bits/.test(text)) {
        return { ok: false, reason: 'the installed wslay is older than 1.1.0' };
      }
      const first = text.split('\n').find((line) => line.trim() !== '') ?? `exit ${run.status}`;
      return { ok: false, reason: `a test program did not build against wslay: ${first.trim()}` };
    }
    return { ok: true };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The real file behind the shared library the linker finds for -lwslay, or null.
 * @returns {string | null}
 */
export function findSharedLibrary() {
  const soname = SONAME[process.platform];
  if (soname === undefined) return null;
  const [cxx, ...cxxArgs] = compiler();
  const run = spawnSync(cxx, [...cxxArgs, `-print-file-name=${soname}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const found = (run.stdout || '').trim();
  const candidates = [
    found,
    ...envFlags('LDFLAGS')
      .filter((flag) => flag.startsWith('-L'))
      .map((flag) => path.join(flag.slice(2), soname)),
    path.join('/opt/homebrew/lib', soname),
    path.join('/usr/local/lib', soname),
  ];
  for (const candidate of candidates) {
    if (path.isAbsolute(candidate) && fs.existsSync(candidate)) return fs.realpathSync(candidate);
  }
  return null;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--lib-path')) {
    const lib = findSharedLibrary();
    if (lib === null) {
      console.error(
        `wslay: ${SONAME[process.platform] ?? 'the wslay shared library'} was not ` +
          'found; install the wslay development files (see deps/README.md)',
      );
      process.exit(1);
    }
    console.log(lib);
  } else {
    const result = checkWslay();
    if (result.ok) {
      console.log('wslay: the development files (>= 1.1) are installed');
    } else {
      console.log(`wslay: cannot build the native addon: ${result.reason} (see deps/README.md)`);
      process.exit(1);
    }
  }
}
