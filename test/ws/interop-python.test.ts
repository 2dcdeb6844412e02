import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closeServer,
  listen,
  nextMessage,
  pattern,
  portOf,
  SIZES,
  text,
} from './helpers.js';

// Debian's python3-websockets lives in the system interpreter, not in whatever `python3` is first.
const PYTHON = '/usr/bin/python3';
const PEER = path.join(__dirname, 'peers', 'python_peer.py');

interface ClientReport {
  extensions: string[];
  results?: { size: number; binary: boolean; ok: boolean }[];
  echo?: string;
  pong?: boolean;
  subprotocol?: string | null;
  close_code?: number;
  close_reason?: string;
}

async function runPythonClient(url: string, scenario: string): Promise<ClientReport> {
  const child = spawn(PYTHON, [PEER, 'client', url, scenario]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`python client exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as ClientReport;
}

describe.each(backends)('our server with a python-websockets client (%s)', (backend) => {
  let wss: WebSocketServer;
  const pings: string[] = [];

  beforeAll(async () => {
    wss = await listen({
      backend,
      handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
    });
    wss.on('connection', (ws, req) => {
      ws.on('ping', (data) => pings.push(String(data)));
      ws.on('message', (data, isBinary) => {
        if (req.url === '/server-close') ws.close(4007, 'our-bye');
        else ws.send(data, { binary: isBinary });
      });
    });
  });
  afterAll(() => closeServer(wss));

  const url = (p: string) => `ws://127.0.0.1:${portOf(wss)}${p}`;

  test('text and binary messages of every size come back intact', async () => {
    const report = await runPythonClient(url('/echo'), 'echo');
    expect(report.results).toHaveLength(SIZES.length * 2);
    expect(report.results!.filter((r) => !r.ok)).toEqual([]);
    expect(report.close_code).toBe(1000);
  });

  test('permessage-deflate offered by python is declined while perMessageDeflate is off', async () => {
    const report = await runPythonClient(url('/echo'), 'ping');
    expect(report.extensions).toEqual([]);
  });

  test('with perMessageDeflate on, python compresses: every size comes back intact', async () => {
    const deflating = await listen({ backend, perMessageDeflate: true });
    deflating.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const report = await runPythonClient(`ws://127.0.0.1:${portOf(deflating)}/echo`, 'echo');
    expect(report.extensions).toEqual(['PerMessageDeflate']);
    expect(report.results).toHaveLength(SIZES.length * 2);
    expect(report.results!.filter((r) => !r.ok)).toEqual([]);
    expect(report.close_code).toBe(1000);
    await closeServer(deflating);
  });

  test('a fragmented message from python arrives as one message', async () => {
    const report = await runPythonClient(url('/echo'), 'fragments');
    expect(report.echo).toBe('fragmented');
  });

  test('a ping from python is seen by the server and answered with a pong', async () => {
    const report = await runPythonClient(url('/echo'), 'ping');
    expect(report.pong).toBe(true);
    expect(pings).toContain('py-ping');
  });

  test('a close from python with code and reason is reported and echoed', async () => {
    const connection = once(wss, 'connection');
    const report = runPythonClient(url('/echo'), 'client-close');
    const [ws] = (await connection) as [WebSocket];
    expect(await closed(ws)).toEqual({ code: 4005, reason: 'py-bye' });
    expect((await report).close_code).toBe(4005);
  });

  test('a close from the server reaches python with code and reason', async () => {
    const connection = once(wss, 'connection');
    const report = runPythonClient(url('/server-close'), 'server-close');
    const [ws] = (await connection) as [WebSocket];
    expect(await closed(ws)).toEqual({ code: 4007, reason: 'our-bye' });
    expect(await report).toMatchObject({ close_code: 4007, close_reason: 'our-bye' });
  });

  test('the subprotocol the server picks is the one python reports', async () => {
    const connection = once(wss, 'connection');
    const report = runPythonClient(url('/echo'), 'subprotocol');
    const [ws] = (await connection) as [WebSocket];
    expect(ws.protocol).toBe('chat');
    expect((await report).subprotocol).toBe('chat');
  });

  test('python dropping the TCP connection is reported with 1006', async () => {
    const connection = once(wss, 'connection');
    const report = runPythonClient(url('/echo'), 'abrupt');
    const [ws] = (await connection) as [WebSocket];
    expect((await closed(ws)).code).toBe(1006);
    await report;
  });
});

describe('our client with a python-websockets server', () => {
  let server: ChildProcessWithoutNullStreams;
  let port: number;

  beforeAll(async () => {
    server = spawn(PYTHON, [PEER, 'server']);
    const [line] = (await once(server.stdout, 'data')) as [Buffer];
    port = Number(String(line).trim());
  });
  afterAll(async () => {
    server.stdin.end();
    if (server.exitCode === null) await once(server, 'close');
  });

  describe.each(backends)('%s', (backend) => {
    async function connect(p: string, protocols?: string[]): Promise<WebSocket> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${p}`, protocols, { backend });
      await once(ws, 'open');
      return ws;
    }

    describe.each([false, true])('binary %s', (binary) => {
      test.each(SIZES)('a %i-byte message reaches python intact and comes back', async (size) => {
        const ws = await connect('/echo');
        const payload = binary ? pattern(size) : text(size);
        const echoed = nextMessage(ws);
        ws.send(payload, { binary });
        const { data, isBinary } = await echoed;
        expect(isBinary).toBe(binary);
        expect(data.equals(Buffer.from(payload))).toBe(true);
        ws.close(1000);
        expect((await closed(ws)).code).toBe(1000);
      });
    });

    test('a fragmented message from python arrives as one message', async () => {
      const ws = await connect('/fragments');
      const { data, isBinary } = await nextMessage(ws);
      expect(isBinary).toBe(true);
      expect(data.equals(Buffer.concat([pattern(1000, 1), pattern(70000, 2), pattern(3, 3)]))).toBe(
        true,
      );
      ws.terminate();
    });

    test('pings are answered both ways', async () => {
      const ws = await connect('/ping');
      const sawPing = once(ws, 'ping');
      const confirmed = nextMessage(ws);
      expect(String((await sawPing)[0])).toBe('py-server-ping');
      expect(String((await confirmed).data)).toBe('pong-ok');
      const pong = once(ws, 'pong');
      ws.ping('our-ping');
      expect(String((await pong)[0])).toBe('our-ping');
      ws.terminate();
    });

    test('a close from the client is echoed by python with the same code and reason', async () => {
      const ws = await connect('/echo');
      ws.close(4008, 'our-client-bye');
      expect(await closed(ws)).toEqual({ code: 4008, reason: 'our-client-bye' });
    });

    test('a close from python carries its code and reason', async () => {
      const ws = await connect('/close');
      ws.send('close please');
      expect(await closed(ws)).toEqual({ code: 4006, reason: 'py-server-bye' });
    });

    test('python agrees to the permessage-deflate our client offers by default', async () => {
      const ws = await connect('/echo');
      expect(ws.extensions).toBe('permessage-deflate');
      ws.terminate();
    });

    test('the subprotocol python picks is the one the client reports', async () => {
      const ws = await connect('/echo', ['superchat', 'chat']);
      expect(ws.protocol).toBe('chat');
      ws.terminate();
    });

    test('python dropping the TCP connection is reported with 1006', async () => {
      const ws = await connect('/abrupt');
      ws.send('go');
      expect((await closed(ws)).code).toBe(1006);
    });
  });
});
