/**
 * The C library itself as a side of the comparison: libwslay/wslay-trace.c, compiled against
 * the system's libwslay, runs engine scripts and prints their traces.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const source = path.join(__dirname, 'libwslay', 'wslay-trace.c');

/** Ends a script in a batch; the driver resets and echoes it. */
const SEPARATOR = '---';

let built: string | null | undefined;

/**
 * The path of the compiled driver, or null where there is no C compiler or no libwslay-dev
 * (tests then skip what needs it). Compiled once per source version into the temp directory,
 * so that campaign workers share one binary.
 */
export function wslayTraceBinary(): string | null {
  if (built !== undefined) return built;
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const dir = path.join(tmpdir(), 'wslay-parity');
  const binary = path.join(dir, `wslay-trace-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}`;
    try {
      execFileSync('cc', ['-O1', '-o', partial, source, '-lwslay'], { stdio: 'pipe' });
      renameSync(partial, binary);
    } catch {
      built = null;
      return built;
    }
  }
  built = binary;
  return built;
}

/** What libwslay printed for one script, or how the driver died while running it. */
export type LibwslayOutput = { output: string } | { crash: string };

/**
 * Runs scripts through libwslay in one process per batch. When the driver dies (wslay asserts
 * on some misuse), that script is reported as a crash and the batch goes on after it.
 */
export function runLibwslay(binary: string, scripts: string[]): LibwslayOutput[] {
  const results: LibwslayOutput[] = [];
  while (results.length < scripts.length) {
    const rest = scripts.slice(results.length);
    const input = rest.map((s) => `${s.replace(/\n*$/, '\n')}${SEPARATOR}\n`).join('');
    const run = spawnSync(binary, { input, maxBuffer: 1 << 30, timeout: 60_000 });
    const outputs = run.stdout.toString().split(`${SEPARATOR}\n`);
    const finished = outputs.slice(0, -1);
    results.push(...finished.map((output) => ({ output })));
    if (finished.length < rest.length) {
      const how = run.signal ?? `exit status ${run.status}`;
      results.push({ crash: `wslay-trace died (${how}): ${run.stderr.toString().trim()}` });
    }
  }
  return results;
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
