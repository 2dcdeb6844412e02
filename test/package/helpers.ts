// Shared by the package tests: builds the npm tarball once (prebuild included), installs it
// into fresh consumer projects without the network, and runs commands with the system wslay
// hidden in a private mount namespace.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const platformTag = `${process.platform}-${process.arch}`;
const cacheBase = path.join(os.tmpdir(), 'wslay-package-test');
const tscBin = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
export { tscBin };

/** What the package tests need from the system, or why they cannot run here. */
export function hidingUnavailable(): string | null {
  if (process.platform !== 'linux') return 'hiding the system wslay needs Linux mount namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'hiding the system wslay needs root (unshare -m and bind mounts); CI runs as root';
  }
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-mount-probe-'));
  const probe = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', 'mount -t tmpfs tmpfs "$1"', 'probe', target],
    { encoding: 'utf8' },
  );
  fs.rmSync(target, { recursive: true, force: true });
  if (probe.error || probe.status !== 0) {
    return `unshare -m with mount is unavailable here: ${probe.error?.message ?? probe.stderr.trim()}`;
  }
  return null;
}

export interface Fixture {
  /** The tarball as `npm pack` makes it: dist/, prebuilds/, sources. */
  tarball: string;
  /** The same tarball less prebuilds/: what a platform without a prebuild gets. */
  tarballNoPrebuilds: string;
  /** node-gyp-build and node-addon-api packed from the repository's node_modules. */
  depTarballs: string[];
  /** What `npm pack --json` listed. */
  files: { path: string; size: number }[];
  size: number;
  unpackedSize: number;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; log?: string },
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (options.log !== undefined) {
    fs.appendFileSync(
      options.log,
      `$ ${command} ${args.join(' ')}\n${result.stdout}${result.stderr}\n`,
    );
  }
  if (result.error || result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${result.stdout}\n${result.stderr}`.slice(-4000),
    );
  }
  return result;
}

/** An environment without npm's per-run variables, so nested npm commands start clean. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(?!config_(nodedir|cache|userconfig|globalconfig)$)/i.test(key)) continue;
    if (key.startsWith('WSLAY_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

const INPUTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'binding.gyp',
  'CMakeLists.txt',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
  'src',
  'native',
  'deps',
  'scripts',
];

function inputHash(): string {
  const hash = createHash('sha256').update(process.version);
  const visit = (rel: string): void => {
    const abs = path.join(repoRoot, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name));
    } else {
      hash.update(rel).update('\0').update(fs.readFileSync(abs)).update('\0');
    }
  };
  for (const entry of INPUTS) visit(entry);
  return hash.digest('hex').slice(0, 16);
}

function buildFixture(dir: string): Fixture {
  const log = path.join(dir, 'build.log');
  const stage = path.join(dir, 'stage');
  fs.mkdirSync(stage, { recursive: true });
  for (const entry of INPUTS) {
    const from = path.join(repoRoot, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  const env = cleanEnv();
  // As from a fresh clone: prepack (scripts/prepack.mjs) builds dist/ and the prebuild.
  const packed = run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: stage,
    env,
    log,
  });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string; size: number }[];
    size: number;
    unpackedSize: number;
  }[];
  const { filename, files, size, unpackedSize } = info[0]!;
  const tarball = path.join(dir, filename);

  const unpacked = path.join(dir, 'unpacked');
  fs.mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], { cwd: dir, log });
  fs.rmSync(path.join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
  const tarballNoPrebuilds = path.join(dir, filename.replace(/\.tgz$/, '-no-prebuilds.tgz'));
  run('tar', ['-czf', tarballNoPrebuilds, '-C', unpacked, 'package'], { cwd: dir, log });

  const depsDir = path.join(dir, 'deps');
  fs.mkdirSync(depsDir);
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const deps = Object.keys(manifest.dependencies ?? {});
  run(
    'npm',
    [
      'pack',
      ...deps.map((name) => path.join(repoRoot, 'node_modules', name)),
      '--pack-destination',
      depsDir,
    ],
    { cwd: depsDir, env, log },
  );
  const depTarballs = fs.readdirSync(depsDir).map((name) => path.join(depsDir, name));
  fs.rmSync(stage, { recursive: true, force: true });
  fs.rmSync(unpacked, { recursive: true, force: true });
  return { tarball, tarballNoPrebuilds, depTarballs, files, size, unpackedSize };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the tarballs once per set of inputs; test files running in parallel wait for the
 * one that builds (a lock folder holds the builder's pid).
 */
export async function packageFixture(): Promise<Fixture> {
  const dir = path.join(cacheBase, inputHash());
  const done = path.join(dir, 'fixture.json');
  const lock = `${dir}.lock`;
  fs.mkdirSync(cacheBase, { recursive: true });
  // Fixtures of older inputs: drop those a day old.
  for (const name of fs.readdirSync(cacheBase)) {
    const old = path.join(cacheBase, name);
    if (old !== dir && old !== lock && Date.now() - fs.statSync(old).mtimeMs > 86_400_000) {
      fs.rmSync(old, { recursive: true, force: true });
    }
  }
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    if (fs.existsSync(done)) return JSON.parse(fs.readFileSync(done, 'utf8')) as Fixture;
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    } catch {
      const pid = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (pid > 0 && !alive(pid)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (fs.existsSync(done)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const fixture = buildFixture(dir);
      fs.writeFileSync(done, JSON.stringify(fixture, null, 2));
      return fixture;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * Paths that make the system wslay reachable: the shared library (every name and the real
 * file), the headers and the CMake package. `hidden` runs hide them.
 */
function wslayPaths(): { files: string[]; dirs: string[] } {
  const libDirs = ['/usr/lib', '/usr/local/lib', '/lib', '/usr/lib64'];
  for (const base of ['/usr/lib', '/lib']) {
    for (const name of fs.existsSync(base) ? fs.readdirSync(base) : []) {
      if (name.includes('-linux-')) libDirs.push(path.join(base, name));
    }
  }
  const files = new Set<string>();
  for (const dir of libDirs) {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (name.startsWith('libwslay.')) {
        try {
          files.add(fs.realpathSync(path.join(dir, name)));
        } catch {
          /* a dangling link reaches nothing */
        }
      }
    }
  }
  const dirs = [
    '/usr/include/wslay',
    '/usr/local/include/wslay',
    ...libDirs.map((dir) => path.join(dir, 'cmake', 'wslay')),
  ].filter((dir) => fs.existsSync(dir));
  return { files: [...files], dirs: [...new Set(dirs.map((dir) => fs.realpathSync(dir)))] };
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Run with the system wslay hidden (a private mount namespace; nothing outside changes). */
  hideWslay?: boolean;
  timeout?: number;
}

/** Runs a command; with `hideWslay`, inside `unshare -m` with wslay's files masked. */
export function exec(
  command: string,
  args: string[],
  options: RunOptions,
): SpawnSyncReturns<string> {
  const env = cleanEnv(options.env);
  const common = {
    cwd: options.cwd,
    env,
    encoding: 'utf8' as const,
    timeout: options.timeout ?? 180_000,
    maxBuffer: 64 << 20,
  };
  if (!options.hideWslay) return spawnSync(command, args, common);
  const { files, dirs } = wslayPaths();
  const script = [
    'set -e',
    'empty=$(mktemp)',
    ...files.map((file) => `mount --bind "$empty" '${file}'`),
    ...dirs.map((dir) => `mount -t tmpfs -o size=64k,mode=755 tmpfs '${dir}'`),
    'exec "$@"',
  ].join('\n');
  return spawnSync('unshare', ['-m', 'sh', '-c', script, 'hide-wslay', command, ...args], common);
}

export function describeRun(result: SpawnSyncReturns<string>): string {
  return (
    `exit ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}\n` +
    `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
  );
}

export interface Consumer {
  dir: string;
  /** `npm install`'s output. */
  install: SpawnSyncReturns<string>;
  /** Lines the install step printed (those starting with `wslay:`). */
  installLines: string[];
  remove(): void;
}

/**
 * What the consumer's `allowScripts` says of the package's install script. npm 11.19 runs an
 * unreviewed one with a notice (an error with --strict-allow-scripts), and skips a denied one.
 */
export type ScriptPolicy = 'approve' | 'deny' | 'unreviewed';

/**
 * A fresh project that depends on the tarball, installed with `npm install --offline` and an
 * empty private cache: every package comes from a local tarball, so no network is needed.
 */
export function installConsumer(
  tarball: string,
  fixture: Fixture,
  options: { scripts: ScriptPolicy; hideWslay?: boolean; type?: 'module' | 'commonjs' },
): Consumer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-consumer-'));
  const dependencies: Record<string, string> = { wslay: `file:${tarball}` };
  for (const dep of fixture.depTarballs) {
    const name = path.basename(dep).replace(/-\d+\.\d+\.\d+.*\.tgz$/, '');
    dependencies[name] = `file:${dep}`;
  }
  const pkg: Record<string, unknown> = {
    name: 'wslay-consumer',
    version: '1.0.0',
    private: true,
    type: options.type ?? 'commonjs',
    dependencies,
  };
  if (options.scripts !== 'unreviewed')
    pkg.allowScripts = { [`file:${tarball}`]: options.scripts === 'approve' };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const install = exec(
    'npm',
    [
      'install',
      '--offline',
      '--cache',
      path.join(dir, '.npm-cache'),
      '--foreground-scripts',
      '--no-audit',
      '--no-fund',
    ],
    { cwd: dir, hideWslay: options.hideWslay, env: { npm_config_loglevel: 'warn' } },
  );
  const installLines = install.stdout.split('\n').filter((line) => line.startsWith('wslay:'));
  return {
    dir,
    install,
    installLines,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A script for a consumer: two EventContexts, a server and a client, joined by in-memory
 * callbacks; the client sends a text and a binary message, the server echoes them, then the
 * client closes. It prints a JSON report.
 */
export const ECHO_BODY = `
function echoRoundTrip(wslay) {
  const { EventContext, ErrorCode, Opcode, StatusCode } = wslay;
  const toServer = [];
  const toClient = [];
  const receiver = (inbox) => (ctx, buf) => {
    if (inbox.length === 0) { ctx.setError(ErrorCode.WOULDBLOCK); return -1; }
    const chunk = inbox[0];
    const n = Math.min(buf.length, chunk.length);
    buf.set(chunk.subarray(0, n));
    if (n === chunk.length) inbox.shift(); else inbox[0] = chunk.subarray(n);
    return n;
  };
  const sender = (outbox) => (ctx, data) => { outbox.push(Uint8Array.from(data)); return data.length; };
  const server = EventContext.server({
    recv: receiver(toServer), send: sender(toClient),
    onMsgRecv(ctx, { opcode, msg }) {
      if (opcode !== Opcode.CONNECTION_CLOSE) ctx.queueMsg({ opcode, msg: Uint8Array.from(msg) });
    },
  });
  const received = [];
  const client = EventContext.client({
    recv: receiver(toClient), send: sender(toServer),
    onMsgRecv(ctx, { opcode, msg }) {
      if (opcode === Opcode.CONNECTION_CLOSE) return;
      received.push({ opcode, text: opcode === Opcode.TEXT_FRAME ? new TextDecoder().decode(msg) : Array.from(msg) });
    },
  });
  client.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: 'hello, wslay' });
  client.queueMsg({ opcode: Opcode.BINARY_FRAME, msg: new Uint8Array([0, 1, 2, 255]) });
  const pump = () => {
    for (let i = 0; i < 8; i++) {
      if (client.wantWrite()) client.send();
      if (server.wantRead()) server.recv();
      if (server.wantWrite()) server.send();
      if (client.wantRead()) client.recv();
    }
  };
  pump();
  client.queueClose(StatusCode.NORMAL_CLOSURE, 'bye');
  pump();
  const report = {
    backends: [server.backend, client.backend],
    received,
    serverCloseReceived: server.getCloseReceived(),
    serverStatusCodeReceived: server.getStatusCodeReceived(),
    clientCloseReceived: client.getCloseReceived(),
    clientStatusCodeReceived: client.getStatusCodeReceived(),
  };
  server.free();
  client.free();
  return report;
}
function loadedLibraries() {
  try {
    return require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .map((line) => line.split(/\\s+/).slice(5).join(' ')).filter((file) => /wslay/.test(file))
      .filter((file, i, all) => all.indexOf(file) === i);
  } catch { return []; }
}
`;

export const EXPECTED_ECHO = {
  received: [
    { opcode: 1, text: 'hello, wslay' },
    { opcode: 2, text: [0, 1, 2, 255] },
  ],
  serverCloseReceived: true,
  serverStatusCodeReceived: 1000,
  clientCloseReceived: true,
  clientStatusCodeReceived: 1000,
};

/** Writes the CommonJS and ESM probe scripts into a consumer. */
export function writeProbes(dir: string): { cjs: string; esm: string } {
  const cjs = path.join(dir, 'probe.cjs');
  const esm = path.join(dir, 'probe.mjs');
  fs.writeFileSync(
    cjs,
    `${ECHO_BODY}
const wslay = require('wslay');
console.log(JSON.stringify({ kind: 'require', backend: wslay.backend, nativeLoadError: wslay.nativeLoadError,
  echo: echoRoundTrip(wslay), libraries: loadedLibraries(), entry: require.resolve('wslay') }));
`,
  );
  fs.writeFileSync(
    esm,
    `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
${ECHO_BODY}
const wslay = await import('wslay');
const cjs = require('wslay');
console.log(JSON.stringify({ kind: 'import', backend: wslay.backend, nativeLoadError: wslay.nativeLoadError,
  echo: echoRoundTrip(wslay), libraries: loadedLibraries(), entry: import.meta.resolve('wslay'),
  sameClasses: wslay.EventContext === cjs.EventContext && wslay.WslayError === cjs.WslayError }));
`,
  );
  return { cjs, esm };
}

/** The JSON line a probe prints. */
export interface ProbeReport {
  kind: 'require' | 'import';
  backend: 'native' | 'fallback';
  nativeLoadError: string | null;
  echo: typeof EXPECTED_ECHO & { backends: string[] };
  libraries: string[];
  entry: string;
  sameClasses?: boolean;
}

export function runProbe(file: string, options: RunOptions): ProbeReport {
  const result = exec(process.execPath, [file], options);
  if (result.status !== 0)
    throw new Error(`probe ${path.basename(file)} failed: ${describeRun(result)}`);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ProbeReport;
}
