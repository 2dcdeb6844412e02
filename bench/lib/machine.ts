/** What the results were measured on: machine, versions, and how busy the machine was. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './child.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  versions: Record<string, string>;
  libwslay: string;
  /** When build/Release/wslay.node was built, and whether a native/ source is newer. */
  addon?: { built: string; staleSources: string[] };
  gitCommit: string;
  /** Files of src/ and native/ that differ from the commit (the tree measured was not it). */
  uncommitted: string[];
  date: string;
}

function tryRun(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name: string): string {
  try {
    const file =
      name === 'wslay'
        ? path.join(REPO_ROOT, 'package.json')
        : require.resolve(`${name}/package.json`, { paths: [REPO_ROOT] });
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The libwslay the addon is linked against, and its distribution package version if known. */
function libwslay(): string {
  const addon = path.join(REPO_ROOT, 'build', 'Release', 'wslay.node');
  const ldd = fs.existsSync(addon) ? tryRun('ldd', [addon]) : null;
  const line = ldd?.split('\n').find((l) => l.includes('libwslay'));
  const resolved = line ? (/=>\s*(\S+)/.exec(line)?.[1] ?? line.trim()) : 'unknown';
  const real =
    resolved.startsWith('/') && fs.existsSync(resolved) ? fs.realpathSync(resolved) : resolved;
  const deb = tryRun('dpkg-query', ['-W', '-f=${Version}', 'libwslay1']);
  return deb ? `${path.basename(real)} (Debian libwslay1 ${deb})` : path.basename(real);
}

function addonInfo(): MachineInfo['addon'] {
  const addon = path.join(REPO_ROOT, 'build', 'Release', 'wslay.node');
  if (!fs.existsSync(addon)) return undefined;
  const built = fs.statSync(addon).mtimeMs;
  const dir = path.join(REPO_ROOT, 'native');
  const staleSources = fs
    .readdirSync(dir)
    .filter((f) => fs.statSync(path.join(dir, f)).mtimeMs > built);
  return { built: new Date(built).toISOString(), staleSources };
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const lscpu = tryRun('lscpu', []);
  const model = lscpu
    ?.split('\n')
    .find((l) => l.startsWith('Model name:'))
    ?.split(':')[1]
    ?.trim();
  return {
    cpuModel: model || cpus[0]?.model || 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    versions: Object.fromEntries(
      ['wslay', 'ws', 'bufferutil', 'utf-8-validate', 'tsx'].map((n) => [n, packageVersion(n)]),
    ),
    libwslay: libwslay(),
    addon: addonInfo(),
    gitCommit: tryRun('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']) ?? 'unknown',
    uncommitted: (
      tryRun('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src', 'native']) ?? ''
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\s*\S+\s+/, '')),
    date: new Date().toISOString(),
  };
}

/** The 1-minute load average: above the core count, other work shared the machine. */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}
