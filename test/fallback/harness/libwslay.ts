import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const source = path.join(__dirname, 'wslay-trace.c');

/**
 * Compiles wslay-trace.c against the system libwslay; null where there is no compiler or
 * no libwslay-dev, so tests can skip.
 */
export function buildWslayTrace(): string | null {
  const binary = path.join(mkdtempSync(path.join(tmpdir(), 'wslay-trace-')), 'wslay-trace');
  try {
    execFileSync('cc', ['-O1', '-o', binary, source, '-lwslay'], { stdio: 'pipe' });
    return binary;
  } catch {
    return null;
  }
}

/** Runs a trace script through libwslay itself. */
export function runWslayTrace(binary: string, script: string): string {
  return execFileSync(binary, { input: script, maxBuffer: 1 << 28 }).toString();
}

/** The "### name" sections of a fixture file, in order. */
export function readSections(file: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (name !== null) sections.set(name, lines.join('\n').replace(/\n+$/, '\n'));
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('### ')) {
      flush();
      name = line.slice(4).trim();
      lines = [];
    } else if (name !== null) {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

export function writeSections(sections: Map<string, string>, header: string): string {
  let out = header;
  for (const [name, body] of sections) out += `\n### ${name}\n${body}`;
  return out;
}
