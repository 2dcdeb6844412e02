/**
 * Profiles one in-process case with `node --cpu-prof` and prints where the time goes.
 *
 *   node --import tsx bench/profile.ts parse|frame <contender> text|binary <size> [ms] [--top=30] [--tsx] [--perf]
 *   node --import tsx bench/profile.ts e2e <server> roundtrip|pipelined|connections <size> [ms] [...]
 *   node --import tsx bench/profile.ts deflate <server> json|text [connections] [ms] [...]
 *
 * e.g. `bench/profile.ts parse native binary 16`, `bench/profile.ts e2e wslay-native pipelined 32`.
 * For e2e the server process is profiled while the usual load generator drives it; for
 * deflate, a server with `perMessageDeflate: true` while bench/deflate/client.ts drives it.
 * By default it compiles src/ and bench/ with tsc into bench/results/.build first and profiles
 * that, as bench/run.ts measures it (see lib/build.ts); it also gives real line numbers,
 * where under tsx every line of a file reads as 2. `--tsx` profiles the sources through tsx.
 *
 * V8's profiler charges time spent in C++ (N-API, wslay, malloc) to the JavaScript function
 * that called into it. `--perf` samples the worker with Linux `perf` instead (it must be
 * installed and allowed: kernel.perf_event_paranoid <= 2) and splits the time by library
 * and symbol: wslay itself, N-API/V8, the addon's glue, malloc, JIT-compiled JavaScript.
 * The .cpuprofile is kept in bench/results/profiles/ (open it in Chrome DevTools).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build, script } from './lib/build.js';
import { Child, REPO_ROOT } from './lib/child.js';
import type { DeflateMessage } from './deflate/client.js';
import type { MarkResult } from './e2e/client.js';
import type { ServerKind, ServerStats } from './e2e/server.js';
import { SCENARIOS, protoOf, spawnClient } from './e2e/suite.js';
import type { MicroBench } from './micro/contenders.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfPct: number;
  totalPct: number;
}

/** Self and inclusive time per function (by name and location), as percentages of samples. */
export function summarize(profile: Profile): ProfileLine[] {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url ? path.relative(REPO_ROOT, url.replace(/^file:\/\//, '')) : '';
    return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
  });
  return [...self.entries()]
    .map(([name, t]) => ({
      name,
      selfPct: (100 * t) / all,
      totalPct: (100 * (total.get(name) ?? t)) / all,
    }))
    .sort((a, b) => b.selfPct - a.selfPct);
}

interface Target {
  child: Child;
  warm(): Promise<void>;
  /** Runs the profiled window; returns a one-line description of the rate. */
  measure(): Promise<string>;
  close(): Promise<void>;
}

function microTarget(
  worker: string,
  compiled: boolean,
  nodeArgs: string[],
  bench: string,
  contender: string,
  kind: string,
  size: number,
  ms: number,
): Target {
  const env: Record<string, string> =
    contender === 'ws-nobu' ? { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : {};
  const child = new Child(worker, { args: [contender], env, tsx: !compiled, nodeArgs });
  const c = { op: 'measure', bench: bench as MicroBench, kind, size };
  return {
    child,
    warm: async () => {
      await child.request({ ...c, ms: 300 });
    },
    measure: async () => {
      const s = await child.request<{ msgs: number; cpuNs: number }>({ ...c, ms });
      const rate = s.msgs / (s.cpuNs / 1e9);
      return `${(rate / 1e3).toFixed(0)}k msg per CPU-second, ${(1e9 / rate).toFixed(0)} CPU-ns/msg`;
    },
    close: () => child.close(),
  };
}

function e2eTarget(
  server: string,
  compiled: boolean,
  nodeArgs: string[],
  kind: ServerKind,
  scenarioName: string,
  size: number,
  ms: number,
): Target {
  const scenario = SCENARIOS.find((x) => x.name === scenarioName);
  if (!scenario)
    throw new Error(`scenario must be one of ${SCENARIOS.map((x) => x.name).join(', ')}`);
  const child = new Child(server, { args: [kind], tsx: !compiled, nodeArgs });
  const client = spawnClient();
  return {
    child,
    warm: async () => {
      const { port } = await child.request<{ port: number }>({ op: 'start' });
      await client.request({
        op: 'open',
        port,
        proto: protoOf(kind),
        connections: scenario.connections,
        inflight: scenario.inflight,
        size,
      });
      await new Promise((r) => setTimeout(r, 300));
      await client.request({ op: 'mark' });
    },
    measure: async () => {
      const before = await child.request<ServerStats>({ op: 'stats' });
      await new Promise((r) => setTimeout(r, ms));
      const m = await client.request<MarkResult>({ op: 'mark' });
      const after = await child.request<ServerStats>({ op: 'stats' });
      const cpu = after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs;
      return `${(m.msgs / m.elapsedMs).toFixed(1)}k msg/s, server CPU ${(cpu / m.msgs).toFixed(2)} µs/msg`;
    },
    close: async () => {
      await client.request({ op: 'close' });
      await client.close();
      await child.close();
    },
  };
}

function deflateTarget(
  server: string,
  compiled: boolean,
  nodeArgs: string[],
  kind: ServerKind,
  message: DeflateMessage,
  connections: number,
  ms: number,
): Target {
  const child = new Child(server, { args: [kind, 'deflate'], tsx: !compiled, nodeArgs });
  const { file, tsx } = script('deflate/client.ts');
  const client = new Child(file, { label: 'deflate-client', tsx });
  return {
    child,
    warm: async () => {
      const { port } = await child.request<{ port: number }>({ op: 'start' });
      await client.request({ op: 'open', port, connections, message });
      await new Promise((r) => setTimeout(r, 300));
      await client.request({ op: 'mark' });
    },
    measure: async () => {
      const before = await child.request<ServerStats>({ op: 'stats' });
      await new Promise((r) => setTimeout(r, ms));
      const m = await client.request<{ msgs: number; elapsedMs: number }>({ op: 'mark' });
      const after = await child.request<ServerStats>({ op: 'stats' });
      const cpu = after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs;
      return `${(m.msgs / m.elapsedMs).toFixed(1)}k msg/s, server CPU ${(cpu / m.msgs).toFixed(2)} µs/msg`;
    },
    close: async () => {
      await client.request({ op: 'closeAll' });
      await client.close();
      await child.close();
    },
  };
}

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
  const usePerf = process.argv.includes('--perf');
  const compiled = !process.argv.includes('--tsx');
  const name = positional.slice(0, 4).join('-') || 'profile';
  // One directory per run: the tsx loader thread writes a profile of its own beside the main one.
  const dir = path.join(REPO_ROOT, 'bench', 'results', 'profiles', `${name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const nodeArgs = usePerf
    ? ['--perf-basic-prof-only-functions']
    : ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'];
  if (compiled) build();
  let target: Target;
  if (positional[0] === 'deflate') {
    const [, kind = 'wslay-native', message = 'json', connections = '8', ms = '3000'] = positional;
    target = deflateTarget(
      script('e2e/server.ts').file,
      compiled,
      nodeArgs,
      kind as ServerKind,
      message as DeflateMessage,
      Number(connections),
      Number(ms),
    );
  } else if (positional[0] === 'e2e') {
    const [, kind = 'wslay-native', scenario = 'pipelined', size = '32', ms = '3000'] = positional;
    target = e2eTarget(
      script('e2e/server.ts').file,
      compiled,
      nodeArgs,
      kind as ServerKind,
      scenario,
      Number(size),
      Number(ms),
    );
  } else {
    const [bench = 'parse', contender = 'native', kind = 'binary', size = '16', ms = '3000'] =
      positional;
    target = microTarget(
      script('micro/worker.ts').file,
      compiled,
      nodeArgs,
      bench,
      contender,
      kind,
      Number(size),
      Number(ms),
    );
  }
  await target.warm();
  const perfData = path.join(dir, 'perf.data');
  const perf = usePerf
    ? spawn('perf', ['record', '-F', '1999', '-o', perfData, '-p', String(target.child.pid)], {
        stdio: 'ignore',
      })
    : null;
  if (perf) await new Promise((r) => setTimeout(r, 500));
  const head = `${name}: ${await target.measure()}`;
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.on('exit', r));
  }
  await target.close();
  if (perf) {
    console.log(`${head}; perf data: ${path.relative(REPO_ROOT, perfData)}`);
    printPerf(perfData, top);
    return;
  }
  // The main thread's profile is the biggest one.
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (file === undefined) throw new Error(`no profile written in ${dir}`);
  console.log(`${head}; profile: ${path.relative(REPO_ROOT, file)}`);
  console.log('  self%  total%  function');
  for (const line of summarize(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile).slice(
    0,
    top,
  )) {
    console.log(
      `${line.selfPct.toFixed(1).padStart(7)} ${line.totalPct.toFixed(1).padStart(7)}  ${line.name}`,
    );
  }
}

/** Which part of the stack a perf sample's library belongs to. */
function category(dso: string, symbol: string): string {
  if (dso.startsWith('libwslay')) return 'wslay (C)';
  if (dso === 'wslay.node') return 'addon glue (C++)';
  if (dso.startsWith('libc') && /malloc|free|_int_|realloc|calloc/.test(symbol))
    return 'malloc/free';
  if (dso.startsWith('libc') && /mem(move|cpy|set)/.test(symbol)) return 'memcpy/memset';
  if (dso.startsWith('[JIT]') || symbol.startsWith('JS:') || symbol.startsWith('Builtin:'))
    return 'JavaScript (JIT)';
  if (dso === 'node' && /^(napi_|node_napi|v8impl|Napi::)/.test(symbol)) return 'N-API';
  if (dso === 'node' && symbol.startsWith('Builtins_')) return 'V8 builtins';
  if (dso === 'node' && /Heap|GC|Scaveng|Mark|Sweep|Evacuat/.test(symbol)) return 'V8 GC';
  if (dso === 'node') return 'V8/node runtime';
  if (dso.includes('kernel')) return 'kernel';
  return dso;
}

function printPerf(data: string, top: number): void {
  const report = execFileSync(
    'perf',
    ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none'],
    { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const rows: { pct: number; dso: string; symbol: string }[] = [];
  for (const line of report.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (m) rows.push({ pct: Number(m[1]), dso: m[2]!, symbol: m[3]!.trim() });
  }
  const byCategory = new Map<string, number>();
  for (const r of rows)
    byCategory.set(
      category(r.dso, r.symbol),
      (byCategory.get(category(r.dso, r.symbol)) ?? 0) + r.pct,
    );
  console.log('  share  where');
  for (const [k, v] of [...byCategory].sort((a, b) => b[1] - a[1]))
    console.log(`${v.toFixed(1).padStart(6)}%  ${k}`);
  console.log('\n  self%  library  symbol');
  for (const r of rows.slice(0, top))
    console.log(`${r.pct.toFixed(1).padStart(6)}%  ${r.dso}  ${r.symbol.slice(0, 110)}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
