/**
 * Renders native/layout.h from src/backends/layout.ts, the one definition of the numbers the
 * addon and the TypeScript layer share. `npm run gen:layout` writes it; test/layout.test.ts
 * checks that the committed header is what this renders. The header is committed so that a
 * build from the npm tarball, with cmake-js or node-gyp, needs no TypeScript tooling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYOUT } from '../src/backends/layout.js';

const CPP_TYPES: Record<keyof typeof LAYOUT, string> = {
  CallbackBit: 'uint32_t',
  StateWord: 'size_t',
  RecvHeader: 'size_t',
  RecvEntry: 'size_t',
  MessageWord: 'uint32_t',
  SendMeta: 'size_t',
  ReadResult: 'int64_t',
};

export const HEADER_PATH = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'native',
  'layout.h',
);

/** FRAME_RECV_START -> kFrameRecvStart, the constant style of the C++ sources. */
function cppName(name: string): string {
  return `k${name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}

export function renderLayoutHeader(): string {
  const lines = [
    '// Generated from src/backends/layout.ts by `npm run gen:layout`: do not edit. What each',
    '// number means is documented there; test/layout.test.ts fails when this file is stale.',
    '#pragma once',
    '',
    '#include <cstddef>',
    '#include <cstdint>',
  ];
  for (const [group, fields] of Object.entries(LAYOUT)) {
    const type = CPP_TYPES[group as keyof typeof LAYOUT];
    lines.push('', `struct ${group} {`);
    for (const [name, value] of Object.entries(fields as Record<string, number>)) {
      lines.push(`  static constexpr ${type} ${cppName(name)} = ${value};`);
    }
    lines.push('};');
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  fs.writeFileSync(HEADER_PATH, renderLayoutHeader());
  console.log(`gen:layout: wrote ${path.relative(process.cwd(), HEADER_PATH)}`);
}
