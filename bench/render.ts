/**
 * Renders results JSON into docs/benchmarks.md and docs/benchmarks/*.svg.
 *
 *   node --import tsx bench/render.ts [bench/results/latest-full.json]
 *
 * The hand-written parts are included as they are: docs/benchmarks/targets.md says how the
 * targets are grouped and what limits each, summary.md follows the targets, method.md is the
 * method, analysis.md (profiles and proposals) comes at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './lib/child.js';
import { ratioChart, valueChart, type Group } from './lib/svg.js';
import { sizeName } from './broadcast/suite.js';
import { evaluateTargets, formatValue, sizeLabel, type TargetStatus } from './lib/targets.js';
import type { RunResults } from './run.js';

const DOC = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
const ASSETS = path.join(REPO_ROOT, 'docs', 'benchmarks');
const ANALYSIS = path.join(ASSETS, 'analysis.md');

const COLORS: Record<string, string> = {
  native: '#1f77b4',
  fallback: '#ff7f0e',
  'ws (no bufferutil)': '#9467bd',
  ws: '#2ca02c',
  raw: '#7f7f7f',
  'native, batch': '#1f77b4',
  'native, callbacks': '#9ecae1',
  'fallback, batch': '#ff7f0e',
  'fallback, callbacks': '#fdd0a2',
  'wslay-native': '#1f77b4',
  'wslay-fallback': '#ff7f0e',
};

function rate(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e5 ? 0 : 1)} k`;
  return v.toFixed(v >= 100 ? 0 : 1);
}

function mb(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function ratio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`;
}

function us(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`;
}

/** A Markdown table; columns other than the first and those in `text` are right-aligned. */
function table(head: string[], rows: string[][], text: number[] = []): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = head.map((_, i) => (i === 0 || text.includes(i) ? '---' : '---:'));
  return [line(head), line(align), ...rows.map(line)].join('\n');
}

const MICRO_NAMES: Record<string, string> = {
  native: 'native, callbacks',
  'native-batch': 'native, batch',
  fallback: 'fallback, callbacks',
  'fallback-batch': 'fallback, batch',
  ws: 'ws',
  'ws-nobu': 'ws (no bufferutil)',
};

/** `a/b` with display names. */
function ratioName(key: string): string {
  const [a, b] = key.split('/');
  const short = (x: string) =>
    x
      .replace('native-batch', 'native batch')
      .replace('fallback-batch', 'fallback batch')
      .replace('ws-nobu', 'ws (no bu)');
  return `${short(a!)} / ${short(b!)}`;
}

function microSection(r: RunResults, bench: 'parse' | 'frame'): string {
  const cases = r.micro!.cases.filter((c) => c.bench === bench);
  const contenders =
    bench === 'parse'
      ? ['native-batch', 'native', 'fallback-batch', 'fallback', 'ws', 'ws-nobu']
      : ['native-batch', 'native', 'fallback-batch', 'fallback', 'ws'];
  const ratios =
    bench === 'parse'
      ? ['native-batch/ws', 'native/ws', 'fallback-batch/ws', 'fallback/ws', 'native-batch/ws-nobu']
      : ['native-batch/ws', 'native/ws', 'fallback-batch/ws', 'fallback/ws'];
  const out: string[] = [];
  for (const kind of ['text', 'binary'] as const) {
    out.push(
      `**${kind}**: messages/s · MB/s, per second of CPU time (median of ${r.micro!.config.rounds} rounds), ` +
        'and paired ratios of messages/s',
      '',
    );
    out.push(
      table(
        ['payload', ...contenders.map((c) => MICRO_NAMES[c]!), ...ratios.map(ratioName)],
        cases
          .filter((c) => c.kind === kind)
          .map((c) => [
            sizeLabel(c.size),
            ...contenders.map((k) => {
              const s = c.contenders[k as keyof typeof c.contenders];
              return s ? `${rate(s.msgsPerSec)} · ${mb(s.mbPerSec)}` : '–';
            }),
            ...ratios.map((x) => ratio(c.ratios[x])),
          ]),
      ),
      '',
    );
  }
  return out.join('\n');
}

function microChart(r: RunResults, bench: 'parse' | 'frame'): string {
  const cases = r.micro!.cases.filter((c) => c.bench === bench);
  const keys: Record<string, string> = {
    'native, batch': 'native-batch/ws',
    'native, callbacks': 'native/ws',
    'fallback, batch': 'fallback-batch/ws',
    'fallback, callbacks': 'fallback/ws',
    'ws (no bufferutil)': 'ws-nobu/ws',
  };
  const series = Object.keys(keys).filter((s) => bench === 'parse' || s !== 'ws (no bufferutil)');
  const groups: Group[] = cases.map((c) => ({
    label: `${c.kind} ${sizeLabel(c.size)}`,
    bars: series.map((s) => ({ series: s, value: c.ratios[keys[s]!] ?? Number.NaN })),
  }));
  return ratioChart({
    title:
      bench === 'parse'
        ? 'In-process parsing: messages/s relative to ws (with bufferutil)'
        : 'In-process framing: messages/s relative to ws',
    reference: 'ws',
    groups,
    series,
    colors: COLORS,
  });
}

const SERVER_NAMES: Record<string, string> = {
  'wslay-native': 'wslay native',
  'wslay-fallback': 'wslay fallback',
  ws: 'ws + bufferutil',
  raw: 'raw socket',
};

function e2eSection(r: RunResults): string {
  const out: string[] = [];
  const scenarios = [...new Set(r.e2e!.cells.map((c) => c.scenario))];
  const labels: Record<string, string> = {
    roundtrip: '1 connection, round trips (one message in flight)',
    pipelined: '1 connection, 100 messages in flight',
    connections: '64 connections, one message in flight on each',
    large: '1 connection, 4 large messages in flight',
  };
  for (const s of scenarios) {
    out.push(`### ${labels[s] ?? s}`, '');
    const rows: string[][] = [];
    for (const c of r.e2e!.cells.filter((x) => x.scenario === s)) {
      for (const [kind, v] of Object.entries(c.servers)) {
        if (!v) continue;
        const vs = (x: Record<string, number> | undefined) =>
          kind === 'ws'
            ? '1.00×'
            : ratio(kind === 'raw' ? 1 / (x?.['ws/raw'] ?? NaN) : x?.[`${kind}/ws`]);
        rows.push([
          sizeLabel(c.size),
          SERVER_NAMES[kind] ?? kind,
          rate(v.msgsPerSec),
          mb(v.mbPerSec),
          vs(c.ratios),
          us(v.p50Us),
          us(v.p99Us),
          v.cpuUsPerMsg.toFixed(2),
          vs(c.cpuRatios),
          `${(v.cpuLoad * 100).toFixed(0)}%`,
          `${(v.clientLoad * 100).toFixed(0)}%`,
          v.rssMb.toFixed(0),
        ]);
      }
    }
    out.push(
      table(
        [
          'payload',
          'server',
          'msg/s',
          'MB/s',
          'msg/s vs ws',
          'p50',
          'p99',
          'server CPU µs/msg',
          'msg per CPU-s vs ws',
          'server CPU',
          'client CPU',
          'server RSS MB',
        ],
        rows,
      ),
      '',
    );
  }
  return out.join('\n');
}

function e2eChart(r: RunResults): string {
  const series = ['wslay-native', 'wslay-fallback', 'raw'];
  const groups: Group[] = r.e2e!.cells.map((c) => ({
    label: `${c.scenario} ${sizeLabel(c.size)}`,
    bars: series.map((s) => ({
      series: s,
      value: s === 'raw' ? 1 / c.ratios['ws/raw']! : c.ratios[`${s}/ws`]!,
    })),
  }));
  return ratioChart({
    title: 'End to end echo over loopback: messages/s relative to ws + bufferutil',
    reference: 'ws',
    groups,
    series,
    colors: COLORS,
  });
}

function memorySection(r: RunResults): string {
  const m = r.memory!;
  const rows = Object.entries(m.servers).map(([k, v]) => [
    SERVER_NAMES[k] ?? k,
    (v.rssPerConn / 1024).toFixed(1),
    (v.heapPerConn / 1024).toFixed(1),
    (v.externalPerConn / 1024).toFixed(1),
    v.baselineRssMb.toFixed(0),
    v.loadedRssMb.toFixed(0),
    k === 'ws' ? '1.00×' : ratio(m.ratios[`${k}/ws`]),
  ]);
  return [
    `${m.config.connections.toLocaleString('en-US')} idle connections (handshake done, nothing sent), ` +
      `median of ${m.config.rounds} round(s), each in fresh processes; file-descriptor limit ${m.fdLimit}.`,
    '',
    table(
      [
        'server',
        'RSS KiB/conn',
        'JS heap KiB/conn',
        'external KiB/conn',
        'RSS before MB',
        'RSS after MB',
        'RSS vs ws',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

const DEFLATE_MESSAGES: Record<string, string> = { json: '1 KiB JSON', text: '16 KiB text' };

/** Section 6: permessage-deflate against ws (bench/deflate). */
function deflateSection(r: RunResults): string {
  const d = r.deflate!;
  const c = d.config;
  const name = (k: string) => SERVER_NAMES[k] ?? k;
  const vsWs = (k: string, ratios: Record<string, number>) =>
    k === 'ws' ? '1.00×' : ratio(ratios[`${k}/ws`]);
  const echoRows = d.echo.flatMap((cell) =>
    Object.entries(cell.servers).map(([k, v]) => [
      DEFLATE_MESSAGES[cell.message] ?? cell.message,
      name(k),
      rate(v),
      vsWs(k, cell.ratios),
      (cell.cpuUsPerMsg[k as keyof typeof cell.cpuUsPerMsg] ?? NaN).toFixed(1),
      vsWs(k, cell.cpuRatios),
    ]),
  );
  const memoryRows = Object.entries(d.memory).map(([k, v]) => [
    name(k),
    (v / 1024).toFixed(1),
    vsWs(k, d.memoryRatios),
  ]);
  const soakRows = Object.entries(d.soak).map(([k, s]) => [
    name(k),
    rate(s.msgsPerSec),
    s.durationS.toFixed(0),
    mb(s.quarterMb),
    mb(s.halfMb),
    mb(s.peakMb),
    mb(s.endMb),
    mb(s.afterCloseMb),
    ratio(s.growth),
  ]);
  return [
    "Every server runs with `perMessageDeflate: true` (ws's defaults: context takeover, 15-bit " +
      'windows); the load generator (`bench/deflate/client.ts`) sends one message compressed once ' +
      'and counts the compressed echoes by their headers, so the zlib work measured is the ' +
      "server's: inflating each message and compressing its echo. ws runs zlib in libuv's thread " +
      'pool, on more than one core; this package runs it synchronously on the one thread, so ' +
      'where other work shares the cores, "msg per CPU-s vs ws" (messages per second of server ' +
      'CPU time) compares the servers better than throughput.',
    '',
    `**Echo**: ${c.echoConnections} connections, one message in flight on each; ${c.rounds} ` +
      `round(s) of ${c.warmupMs} ms warm-up and ${c.durationMs} ms measured, medians.`,
    '',
    table(
      ['message', 'server', 'msg/s', 'msg/s vs ws', 'server CPU µs/msg', 'msg per CPU-s vs ws'],
      echoRows,
    ),
    '',
    `**Memory**: ${c.memoryConnections.toLocaleString('en-US')} connections that each ` +
      "negotiated deflate and had one 1 KiB JSON message echoed, then stay open; the server's " +
      'RSS growth per connection after full collections.',
    '',
    table(['server', 'RSS KiB/conn', 'vs ws'], memoryRows),
    '',
    `**Soak**: ${c.soakMessages.toLocaleString('en-US')} compressed 1 KiB JSON messages across ` +
      `${c.soakConnections.toLocaleString('en-US')} connections, one in flight on each; the ` +
      "server's RSS (MiB) sampled every 250 ms, and after the connections closed and full " +
      'collections ran. "growth" is RSS at the end over RSS halfway, once every connection\'s ' +
      'window has filled.',
    '',
    table(
      [
        'server',
        'msg/s',
        'seconds',
        'RSS at 1/4',
        'at 1/2',
        'peak',
        'end',
        'after close',
        'growth',
      ],
      soakRows,
    ),
    '',
  ].join('\n');
}

const ATTACK_LABELS: Record<string, string> = {
  fragments: 'fragment flood (one-byte continuation frames, never finished)',
  pings: 'ping flood (125-byte pings, pongs never read)',
  unread: 'a client that sends 64 KiB messages and never reads the echoes',
};

function hostileSection(r: RunResults): string {
  const h = r.hostile!;
  const rows: string[][] = [];
  for (const c of h.cells) {
    for (const [k, v] of Object.entries(c.servers)) {
      rows.push([
        ATTACK_LABELS[c.attack] ?? c.attack,
        SERVER_NAMES[k] ?? k,
        v.sentMb.toFixed(0),
        v.cutByServer ? 'yes' : 'no',
        v.baseMb.toFixed(0),
        v.peakMb.toFixed(0),
        k === 'ws' ? '1.00×' : ratio(c.peakRatios[`${k}/ws`]),
        v.afterMb.toFixed(0),
        v.retainedMb.toFixed(1),
      ]);
    }
  }
  return [
    'One hostile peer against a fresh echo server with default options, in another process; ' +
      `at most ${Object.entries(h.config.bytes)
        .map(([a, b]) => `${(b / 2 ** 20).toFixed(0)} MiB (${a})`)
        .join(', ')} written, median of ${h.config.rounds} round(s). ` +
      "RSS before and after are measured after full collections; the peak is the process's " +
      'largest RSS (getrusage). "cut" says whether the server ended the connection before the ' +
      'peer was done.',
    '',
    table(
      [
        'attack',
        'server',
        'MiB sent',
        'cut',
        'RSS before MiB',
        'peak MiB',
        'peak vs ws',
        'RSS after MiB',
        'left behind MiB',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

function memoryChart(r: RunResults): string {
  const m = r.memory!;
  const groups: Group[] = Object.entries(m.servers).map(([k, v]) => ({
    label: SERVER_NAMES[k] ?? k,
    bars: [{ series: k, value: v.rssPerConn / 1024 }],
  }));
  return valueChart({
    title: 'RSS per idle connection',
    unit: 'KiB',
    groups,
    series: [],
    colors: COLORS,
  });
}

const TARGETS = path.join(ASSETS, 'targets.md');

interface TargetGroup {
  title: string;
  intro: string[];
  /** Target id → what limits it, in the order of the file. */
  why: Map<string, string>;
}

/** docs/benchmarks/targets.md: the tables of targets, and what limits each. */
function targetGroups(): TargetGroup[] {
  if (!fs.existsSync(TARGETS)) return [];
  const text = fs.readFileSync(TARGETS, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const groups: TargetGroup[] = [];
  let last: string | null = null;
  for (const line of text.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    const item = /^- `([^`]+)`: ?(.*)$/.exec(line);
    const group = groups.at(-1);
    if (heading) {
      groups.push({ title: heading[1]!, intro: [], why: new Map() });
      last = null;
    } else if (group === undefined) {
      continue;
    } else if (item) {
      last = item[1]!;
      group.why.set(last, item[2]!);
    } else if (last !== null && /^\s+\S/.test(line)) {
      group.why.set(last, `${group.why.get(last)!} ${line.trim()}`);
    } else if (line.trim() !== '' && group.why.size === 0) {
      group.intro.push(line.trim());
    }
  }
  return groups;
}

function targetRow(t: TargetStatus): string[] {
  const worst = t.cases.find((c) => c.value === t.measured);
  const values = t.cases.map((c) => c.value).filter(Number.isFinite);
  const range =
    values.length > 1
      ? `${formatValue(Math.min(...values), t.unit)} – ${formatValue(Math.max(...values), t.unit)} (${values.length})`
      : '';
  return [
    t.target,
    t.measured === null ? '–' : `${formatValue(t.measured, t.unit)} (${worst?.label ?? ''})`,
    range,
    t.met === null ? 'not measured' : t.met ? '**met**' : '**not met**',
  ];
}

/** The targets, grouped as docs/benchmarks/targets.md says, each with what limits it. */
function targetsSection(r: RunResults): string {
  const out: string[] = [];
  // Evaluated again, so that a results file renders with the targets as they are defined now.
  const targets = evaluateTargets(r);
  const byId = new Map(targets.map((t) => [t.id, t]));
  const listed = new Set<string>();
  const ratios = r.broadcast?.ratios ?? {};
  const fill = (why: string) =>
    why.replace(/\{broadcast:([^}]+)\}/g, (_, key: string) => ratio(ratios[key]));
  for (const group of targetGroups()) {
    const rows: string[][] = [];
    for (const [id, why] of group.why) {
      listed.add(id);
      const t = byId.get(id);
      if (t !== undefined) rows.push([...targetRow(t), fill(why)]);
    }
    out.push(`### ${group.title}`, '');
    if (group.intro.length > 0) out.push(group.intro.join(' '), '');
    out.push(
      rows.length === 0
        ? 'Not measured in this run.'
        : table(
            ['target', 'worst case measured', 'all cases', 'status', 'what limits it'],
            rows,
            [4],
          ),
      '',
    );
  }
  const rest = targets.filter((t) => !listed.has(t.id));
  if (rest.length > 0) {
    if (listed.size > 0) out.push('### Earlier targets', '');
    out.push(
      table(['target', 'worst case measured', 'all cases', 'status'], rest.map(targetRow)),
      '',
    );
  }
  return out.join('\n');
}

const WAYS: Record<string, string> = {
  forEach: '`clients.forEach(send)`',
  raw: 'raw write of the frame',
  broadcast: '`broadcast()`',
  publish: '`publish()`',
};

function broadcastSection(r: RunResults): string {
  const b = r.broadcast!;
  const c = b.config;
  const out: string[] = [
    `Idle connections to each server (${c.connections.toLocaleString('en-US')} for 32 B, ` +
      `${c.bigConnections.toLocaleString('en-US')} for 64 KiB), held by ${c.clientProcesses} ` +
      'receiving processes per server (raw sockets that only count bytes), all open at once; ' +
      'one binary message is sent to all of them at a time. The ways of sending: on `ws`, ' +
      '`wss.clients.forEach((ws) => ws.send(data))`, the baseline, and the frame encoded once and ' +
      "written straight to each connection's socket (`ws._socket.write(frame)`: no WebSocket " +
      'layer, the floor for a Node server); on ours, the same `forEach` loop, ' +
      "`wss.broadcast(data)` and `wss.publish('all', data)` (every connection subscribed). " +
      `After one round of warm-up, ${c.rounds} round(s) visit the servers and the ways in a ` +
      'shuffled order. "call" is how long the sending call takes; "written" runs until every ' +
      'connection\'s `bufferedAmount` is 0 (all handed to the kernel); "all delivered" runs ' +
      'from the start of the call (server clock) to the last byte reaching the last connection ' +
      '(client clock, the same machine). Medians over rounds; "vs ws" is the median of ' +
      "per-round ratios of `ws`'s `forEach` delivery time over this one's (above 1: faster). " +
      '"server CPU" is what the server process spent until "written", in user space ' +
      '(JavaScript, V8, the addon) and in the kernel; "receivers\' CPU" what the receiving ' +
      'processes spent together until the end: less than "all delivered" means reading was ' +
      'not the limit.',
    '',
  ];
  for (const size of [32, 64 * 1024]) {
    const cells = b.cells.filter((x) => x.size === size);
    if (cells.length === 0) continue;
    const name = sizeName(size);
    out.push(`**${name} to ${cells[0]!.connections.toLocaleString('en-US')} connections**`, '');
    out.push(
      table(
        [
          'server',
          'way',
          'call',
          'written',
          'all delivered',
          'vs ws',
          'server CPU: user + system',
          "receivers' CPU",
        ],
        cells.map((x) => {
          const key = x.server === 'ws' ? `${x.mode} ${name}` : `${x.server} ${x.mode} ${name}`;
          const vs = x.server === 'ws' && x.mode === 'forEach' ? '1.00×' : ratio(b.ratios[key]);
          return [
            SERVER_NAMES[x.server] ?? x.server,
            WAYS[x.mode] ?? x.mode,
            `${x.loopMs.toFixed(1)} ms`,
            `${x.writtenMs.toFixed(0)} ms`,
            `${x.deliverMs.toFixed(0)} ms`,
            vs,
            // Runs before the suite took the server's CPU time have none.
            x.serverUserMs === undefined
              ? '–'
              : `${x.serverUserMs.toFixed(0)} + ${x.serverSystemMs.toFixed(0)} ms`,
            `${x.clientCpuMs.toFixed(0)} ms`,
          ];
        }),
        [1],
      ),
      '',
    );
  }
  const rss = Object.entries(b.rssPerConn).map(
    ([k, v]) =>
      `${SERVER_NAMES[k] ?? k} ${(v / 1024).toFixed(1)} KiB` +
      (k === 'ws' ? '' : ` (${ratio(b.ratios[`${k} rss/ws`])})`),
  );
  out.push(
    'RSS per connection after the 32 B rounds (full collections, against the server before ' +
      `any connection): ${rss.join(', ')}.`,
    '',
  );
  return out.join('\n');
}

export function render(r: RunResults, source: string): string[] {
  fs.mkdirSync(ASSETS, { recursive: true });
  const written: string[] = [];
  const write = (file: string, text: string) => {
    fs.writeFileSync(file, text);
    written.push(file);
  };
  const m = r.machine;
  const doc: string[] = [];
  doc.push('# Benchmarks', '');
  doc.push(
    `<!-- Generated by bench/render.ts from ${source}. Edit docs/benchmarks/{summary,method,analysis}.md or the bench code, not this file. -->`,
    '',
  );
  const command = r.mode === 'full' ? 'npm run bench -- --full' : 'npm run bench -- --render';
  doc.push(
    `Measured ${m.date.slice(0, 10)} in one ${r.mode}-mode run (\`${command}\`, ${Math.round(r.durationS / 60)} min). ` +
      'Every comparison is a ratio between contenders measured in the same run, interleaved, so the numbers ' +
      'compare with each other but not with other machines.',
    '',
  );

  doc.push('## Targets', '');
  doc.push(targetsSection(r));

  const summary = path.join(ASSETS, 'summary.md');
  if (fs.existsSync(summary)) doc.push(fs.readFileSync(summary, 'utf8').trim(), '');

  doc.push('## Machine and versions', '');
  doc.push(`- CPU: ${m.cpuModel}, ${m.cores} cores; memory ${m.memoryGiB} GiB; ${m.os}`);
  const dirty = m.uncommitted?.length
    ? ` plus uncommitted changes to ${m.uncommitted.length} file(s) of src/ and native/`
    : '';
  doc.push(
    `- Node.js ${m.node} (V8 ${m.v8}); wslay (this package) ${m.versions.wslay} at commit ${m.gitCommit}${dirty}, ` +
      `linked against ${m.libwslay}; our code ran as tsc's output (bench/lib/build.ts)`,
  );
  doc.push(
    `- ws ${m.versions.ws}, bufferutil ${m.versions.bufferutil}, utf-8-validate ${m.versions['utf-8-validate']}`,
  );
  if (m.addon) {
    const stale = m.addon.staleSources.length
      ? `; **older than ${m.addon.staleSources.join(', ')}**`
      : ', newer than every native/ source';
    doc.push(
      `- Native addon build/Release/wslay.node built ${m.addon.built.replace('T', ' ').slice(0, 19)} UTC${stale}`,
    );
  }
  if (r.nativeSkipped)
    doc.push(
      `- **The native addon did not load (${r.nativeSkipped}); native contenders were left out.**`,
    );
  doc.push(
    `- 1-minute load average: ${Object.entries(r.load)
      .map(([k, v]) => `${v} (${k})`)
      .join(', ')}. ` +
      `The machine is shared: a load above ${m.cores} means other work ran during the measurements.`,
    '',
  );

  doc.push('## Method', '');
  doc.push(fs.readFileSync(path.join(ASSETS, 'method.md'), 'utf8').trim(), '');

  if (r.micro) {
    const c = r.micro.config;
    doc.push('## 1. Parsing in process', '');
    doc.push(
      'A server context fed pre-built masked frames in 64 KiB reads: *batch* is `recvFrom(read, onMessage)` ' +
        '(the path the WebSocket layer uses), *callbacks* is `recv()` with a recv callback and `onMsgRecv`. ' +
        `${c.rounds} rounds of ${c.sampleMs} ms of CPU time per contender ` +
        `and case after a ${c.warmupMs} ms warm-up. \`ws\` loaded bufferutil ` +
        `(${String((r.micro.workers.ws as { bufferutil?: string })?.bufferutil)}); the "no bufferutil" process did not ` +
        `(${String((r.micro.workers['ws-nobu'] as { bufferutil?: string })?.bufferutil)}).`,
      '',
    );
    write(path.join(ASSETS, 'parse.svg'), microChart(r, 'parse'));
    doc.push('![Parsing, relative to ws](benchmarks/parse.svg)', '');
    doc.push(microSection(r, 'parse'));
    doc.push('## 2. Framing in process', '');
    doc.push(
      "Queue and send one message at a time on a server context (no masking), against `ws`'s " +
        '`Sender` writing to a fake socket. Text is given as a JS string, binary as a Buffer. *batch* is ' +
        '`queueMsg()` + `sendAll()`, *callbacks* is `queueMsg()` + `send()` with a send callback.',
      '',
    );
    write(path.join(ASSETS, 'frame.svg'), microChart(r, 'frame'));
    doc.push('![Framing, relative to ws](benchmarks/frame.svg)', '');
    doc.push(microSection(r, 'frame'));
  }
  if (r.e2e) {
    const c = r.e2e.config;
    doc.push('## 3. End to end over loopback', '');
    doc.push(
      `Echo servers on 127.0.0.1, the load generator in another process. ${c.rounds} rounds; each run ` +
        `${c.warmupMs} ms of warm-up then ${c.durationMs} ms measured. MB/s counts echoed payload, one direction. ` +
        'Latency is from writing a message to reading its whole echo, merged over rounds. ' +
        '"server CPU" is user + system time over wall time (100% = one core). "msg/s vs ws" is the paired ' +
        'ratio of throughput (what the targets are about); "msg per CPU-s vs ws" the paired ratio of messages ' +
        'per second of server CPU time, which other load on the machine disturbs less.',
      '',
    );
    write(path.join(ASSETS, 'e2e.svg'), e2eChart(r));
    doc.push('![End to end, relative to ws](benchmarks/e2e.svg)', '');
    doc.push(e2eSection(r));
  }
  if (r.memory) {
    doc.push('## 4. Memory of idle connections', '');
    write(path.join(ASSETS, 'memory.svg'), memoryChart(r));
    doc.push(memorySection(r));
    doc.push('![RSS per idle connection](benchmarks/memory.svg)', '');
  }
  if (r.hostile) {
    doc.push('## 5. Memory under hostile peers', '');
    doc.push(hostileSection(r));
  }
  if (r.broadcast) {
    doc.push('## 6. One message to many connections', '');
    doc.push(broadcastSection(r));
  }
  if (r.deflate) {
    doc.push('## 7. permessage-deflate against ws', '');
    doc.push(deflateSection(r));
  }
  if (fs.existsSync(ANALYSIS)) {
    doc.push(fs.readFileSync(ANALYSIS, 'utf8').trim(), '');
  }
  doc.push('## Reproducing', '');
  doc.push(
    [
      '```sh',
      'npm run bench               # quick mode: smoke test, < 2 minutes, prints a summary',
      'npm run bench -- --full     # this report: writes bench/results/*.json, renders this file',
      'node --import tsx bench/run.ts --full --only=micro      # one part: micro, e2e, memory, broadcast, hostile, deflate, …',
      'node --import tsx bench/render.ts bench/results/latest-full.json   # re-render only',
      'node --import tsx bench/profile.ts parse native binary 16 3000         # V8 CPU profile of one case',
      'node --import tsx bench/profile.ts parse native binary 16 3000 --perf  # native profile (Linux perf)',
      'node --import tsx bench/profile.ts deflate wslay-native json 8 3000    # a deflating server',
      '```',
    ].join('\n'),
    '',
  );
  write(DOC, doc.join('\n'));
  return written;
}

if (require.main === module) {
  const file = process.argv[2] ?? path.join(REPO_ROOT, 'bench', 'results', 'latest-full.json');
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as RunResults;
  for (const f of render(r, path.relative(REPO_ROOT, path.resolve(file))))
    console.log(path.relative(REPO_ROOT, f));
}
