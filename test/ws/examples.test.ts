import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { WebSocket } from '../../src/index.js';
import { backends, nextMessage } from './helpers.js';

const root = path.resolve(__dirname, '..', '..');

/** Runs an example with tsx, the way the README does, on the given backend. */
function runExample(
  file: string,
  backend: string,
  env: Record<string, string> = {},
  args: string[] = [],
) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file), ...args], {
    cwd: root,
    env: { ...process.env, WSLAY_BACKEND: backend, ...env },
  });
}

/** Everything the child prints, stdout and stderr together, as it grows. */
function outputOf(child: ReturnType<typeof spawn>): { text: string } {
  const output = { text: '' };
  const append = (chunk: Buffer) => {
    output.text += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return output;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.each(backends)('the examples (%s)', (backend) => {
  test('chat-demo starts the chat, has two clients talk, and exits 0', async () => {
    const child = runExample('chat-demo.ts', backend, { PORT: '0' });
    const output = outputOf(child);
    const [code] = (await once(child, 'close')) as [number | null];
    expect(output.text).toContain(`${backend} backend`);
    expect(output.text).toContain('bob   sees  alice: Hi Bob, this chat runs on wslay.');
    expect(output.text).toContain('alice sees  bob: Hi Alice!');
    expect(output.text).toContain('bob   sees  (alice left)');
    expect(output.text).toContain('the server is closed');
    expect(code).toBe(0);
  });

  test('chat-demo --keep leaves the chat up for a browser until Ctrl+C', async () => {
    const child = runExample('chat-demo.ts', backend, { PORT: '0' }, ['--keep']);
    const output = outputOf(child);
    await until(() => output.text.includes('stays up'));
    const url = /open (http:\/\/\S+) in a browser/.exec(output.text)![1]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>wslay chat</title>');
    child.kill('SIGINT');
    expect((await once(child, 'close'))[0]).toBe(0);
  });

  test('chat-demo on a port in use says so and how to choose another', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const child = runExample('chat-demo.ts', backend, { PORT: String(port) });
      const output = outputOf(child);
      expect((await once(child, 'close'))[0]).toBe(1);
      expect(output.text).toContain(`port ${port} is already in use`);
      expect(output.text).toContain('PORT=8080 npm run demo');
      expect(output.text).not.toMatch(/^\s+at /m);
    } finally {
      taken.close();
    }
  });

  test('chat-demo refuses a PORT that is not a port number', async () => {
    const child = runExample('chat-demo.ts', backend, { PORT: 'eighty' });
    const output = outputOf(child);
    expect((await once(child, 'close'))[0]).toBe(1);
    expect(output.text).toContain('PORT must be a port number from 0 to 65535, got "eighty"');
  });

  test('cluster-demo shows chat messages crossing node:cluster workers over Redis, and exits 0', async () => {
    const child = runExample('cluster-demo.ts', backend);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(output).toContain(`3 workers, one port, ${backend} backend`);
    expect(output).toMatch(
      /every lobby message reached all \d+ lobby clients on 3 workers; the books room stayed apart: true/,
    );
    expect(output).toMatch(
      /bob +\(worker (\d)\) sees +alice \(worker (?!\1)\d\): hello from alice/,
    );
    expect(code).toBe(0);
  }, 120_000);

  test('echo-server echoes and stops on SIGINT', async () => {
    const child = runExample('echo-server.ts', backend, { PORT: '0' });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const url = /ws:\/\/\S+/.exec(String(line))![0];
    const ws = new WebSocket(url, { backend });
    await once(ws, 'open');
    ws.send('echo?');
    expect(String((await nextMessage(ws)).data)).toBe('echo?');
    const closed = once(ws, 'close');
    child.kill('SIGINT');
    expect((await closed)[0]).toBe(1001);
    expect((await once(child, 'close'))[0]).toBe(0);
  });
});
