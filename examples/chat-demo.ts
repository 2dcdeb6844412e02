// Starts the chat of examples/chat-server.ts at http://127.0.0.1:8080, then has two scripted
// clients, alice and bob, join it and talk. Prints what each of them sees, and exits 0; with
// --keep the chat stays up afterwards, to open in a browser, until Ctrl+C.
//
//   npm run demo                     (npx tsx examples/chat-demo.ts)
//   npm run demo -- --keep           the same, then the chat stays up
//   PORT=8081 npm run demo           on another port (PORT=0: any free one)
import { once } from 'node:events';
import { WebSocket, backend } from '../src/index.js';
import {
  listenFailure,
  portFromEnv,
  startChatServer,
  type ChatEvent,
  type ChatServer,
} from './chat-server.js';

const keep = process.argv.includes('--keep');

/** A scripted chat client that prints what it sees and can wait for a given event. */
class Participant {
  readonly name: string;
  readonly ws: WebSocket;
  readonly #seen: ChatEvent[] = [];
  #waiters: (() => void)[] = [];

  constructor(name: string, url: string) {
    this.name = name;
    this.ws = new WebSocket(`${url}?name=${encodeURIComponent(name)}`);
    this.ws.on('message', (data) => {
      const event = JSON.parse((data as Buffer).toString()) as ChatEvent; // text: a Buffer
      this.#seen.push(event);
      const line =
        event.type === 'message' ? `${event.name}: ${event.text}` : `(${event.name} ${event.type})`;
      console.log(`  ${this.name.padEnd(5)} sees  ${line}`);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async join(): Promise<void> {
    await once(this.ws, 'open');
  }

  say(text: string): void {
    this.ws.send(JSON.stringify({ text }));
  }

  /** Resolves once this participant has seen an event that `matches`. */
  async sees(matches: (event: ChatEvent) => boolean): Promise<void> {
    while (!this.#seen.some(matches)) await new Promise<void>((wake) => this.#waiters.push(wake));
  }

  async leave(): Promise<void> {
    this.ws.close(1000, 'bye');
    await once(this.ws, 'close');
  }
}

const said = (name: string, text: string) => (event: ChatEvent) =>
  event.type === 'message' && event.name === name && event.text === text;

/** Starts the chat, or says why it cannot and exits 1. */
async function start(): Promise<ChatServer> {
  let port = 8080;
  try {
    port = portFromEnv();
    return await startChatServer({ host: '127.0.0.1', port });
  } catch (error) {
    console.error(
      `chat demo: ${listenFailure(error, port, `npm run demo${keep ? ' -- --keep' : ''}`)}`,
    );
    process.exit(1);
  }
}

/** Runs the scripted chat; returns the server, still up, when --keep asks for it. */
async function main(): Promise<ChatServer | null> {
  const chat = await start();
  console.log(
    `chat server on ${chat.url} (the page) and ${chat.url}chat (the WebSocket), ${backend} backend`,
  );

  const page = await fetch(chat.url);
  const html = await page.text();
  console.log(`GET ${chat.url} -> ${page.status}, ${html.length} bytes of chat page`);

  const wsUrl = `${chat.url.replace(/^http/, 'ws')}chat`;
  const alice = new Participant('alice', wsUrl);
  await alice.join();
  const bob = new Participant('bob', wsUrl);
  await bob.join();
  await alice.sees((e) => e.type === 'joined' && e.name === 'bob');

  alice.say('Hi Bob, this chat runs on wslay.');
  await bob.sees(said('alice', 'Hi Bob, this chat runs on wslay.'));
  bob.say('Hi Alice! One server, one port: the page and the WebSocket.');
  await alice.sees(said('bob', 'Hi Alice! One server, one port: the page and the WebSocket.'));
  alice.say('Got to go, bye!');
  await bob.sees(said('alice', 'Got to go, bye!'));

  await alice.leave();
  await bob.sees((e) => e.type === 'left' && e.name === 'alice');
  await bob.leave();
  if (keep) return chat;
  await chat.close();
  console.log('done: both clients left and the server is closed');
  return null;
}

const deadline = setTimeout(() => {
  console.error('chat demo: timed out');
  process.exit(1);
}, 15_000);
deadline.unref();

main().then(
  (kept) => {
    clearTimeout(deadline);
    if (kept === null) process.exit(0);
    console.log(
      `the chat stays up: open ${kept.url} in a browser (two tabs to talk to yourself); ` +
        'Ctrl+C stops it',
    );
    process.once('SIGINT', () => {
      void kept.close().then(() => process.exit(0));
    });
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
