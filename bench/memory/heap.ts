/**
 * Where the JS heap of an idle connection goes: heap snapshots of a server before and after
 * N idle connections, the growth grouped by object type and constructor, per connection.
 *
 *   node --import tsx bench/memory/heap.ts [server=wslay-native] [connections=2000] [--top=25] [--keep] [--tsx]
 *
 * The server runs tsc's output (see lib/build.ts); --tsx runs the sources through tsx.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServerKind } from '../e2e/server.js';
import { build } from '../lib/build.js';
import { protoOf, spawnClient, spawnServer } from '../e2e/suite.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per "type:name" (constructor name for objects). */
function groups(file: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    let name =
      type === 'object' || type === 'native' || type === 'closure'
        ? snap.strings[snap.nodes[i + nameAt!]!]!
        : '';
    if (type === 'closure') name = `${name || '(anonymous)'}()`;
    const key = `${type}${name ? `: ${name.slice(0, 60)}` : ''}`;
    const g = out.get(key) ?? { size: 0, count: 0 };
    g.size += snap.nodes[i + sizeAt!]!;
    g.count++;
    out.set(key, g);
  }
  return out;
}

async function main(): Promise<void> {
  const [kind = 'wslay-native', countArg = '2000'] = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'));
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const count = Number(countArg);
  if (!process.argv.includes('--tsx')) build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-heap-'));
  const server = spawnServer(kind as ServerKind);
  const client = spawnClient();
  try {
    const { port } = await server.request<{ port: number }>({ op: 'start' });
    await server.request({ op: 'memory' });
    const before = (
      await server.request<{ file: string }>({
        op: 'heapSnapshot',
        file: path.join(dir, 'before.heapsnapshot'),
      })
    ).file;
    await client.request({ op: 'idle', port, proto: protoOf(kind as ServerKind), count });
    await server.request({ op: 'memory' });
    const after = (
      await server.request<{ file: string }>({
        op: 'heapSnapshot',
        file: path.join(dir, 'after.heapsnapshot'),
      })
    ).file;
    const a = groups(before);
    const b = groups(after);
    const rows = [...b]
      .map(([k, v]) => {
        const o = a.get(k) ?? { size: 0, count: 0 };
        return { key: k, bytes: (v.size - o.size) / count, objects: (v.count - o.count) / count };
      })
      .filter((r) => r.bytes > 1)
      .sort((x, y) => y.bytes - x.bytes);
    const total = rows.reduce((s, r) => s + r.bytes, 0);
    console.log(
      `${kind}: JS heap growth per idle connection ≈ ${total.toFixed(0)} bytes (${count} connections)`,
    );
    console.log('  bytes/conn  objects/conn  type: constructor');
    for (const r of rows.slice(0, top)) {
      console.log(
        `${r.bytes.toFixed(0).padStart(12)}  ${r.objects.toFixed(2).padStart(12)}  ${r.key}`,
      );
    }
  } finally {
    await client.close();
    await server.close();
    if (process.argv.includes('--keep')) console.log(`snapshots kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
