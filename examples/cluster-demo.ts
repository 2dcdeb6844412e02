// npm run demo:cluster: starts examples/cluster-chat.ts (3 workers on one port, Redis between
// them; a redis-server of its own unless REDIS_URL is set), connects scripted clients until
// they sit on different workers, and shows their messages crossing from worker to worker.
// Exits 0.
//
//   npx tsx examples/cluster-demo.ts
import { Redis } from 'ioredis';
import { WebSocket, backend } from '../src/index.js';
import { startClusterChat, type ClusterChatEvent } from './cluster-chat.js';

class Participant {
  readonly ws: WebSocket;
  worker = 0;
  readonly #seen: ClusterChatEvent[] = [];
  #waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    url: string,
    room: string,
  ) {
    this.ws = new WebSocket(`${url}?name=${name}&room=${room}`);
    this.ws.on('message', (data) => {
      const event = JSON.parse((data as Buffer).toString()) as ClusterChatEvent;
      this.#seen.push(event);
      if (event.type === 'welcome') this.worker = event.worker;
      else if (event.type === 'message') {
        console.log(
          `  ${this.name.padEnd(5)} (worker ${this.worker}) sees  ${event.name} (worker ${event.worker}): ${event.text}`,
        );
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async sees(matches: (event: ClusterChatEvent) => boolean): Promise<void> {
    while (!this.#seen.some(matches)) await new Promise<void>((wake) => this.#waiters.push(wake));
  }

  saw(matches: (event: ClusterChatEvent) => boolean): boolean {
    return this.#seen.some(matches);
  }
}

const said = (text: string) => (event: ClusterChatEvent) =>
  event.type === 'message' && event.text === text;

async function main(): Promise<void> {
  const chat = await startClusterChat({
    workers: 3,
    port: 0,
    redisUrl: process.env.REDIS_URL,
  });
  console.log(`cluster chat on ${chat.url}: 3 workers, one port, ${backend} backend`);
  const wsUrl = `${chat.url.replace(/^http/, 'ws')}chat`;

  // The primary hands connections to workers in turn; join until three workers are covered.
  const lobby: Participant[] = [];
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  while (new Set(lobby.map((p) => p.worker)).size < 3 && lobby.length < names.length) {
    const participant = new Participant(names[lobby.length]!, wsUrl, 'lobby');
    await participant.sees((e) => e.type === 'welcome');
    console.log(
      `  ${participant.name.padEnd(5)} joined room lobby on worker ${participant.worker}`,
    );
    lobby.push(participant);
  }
  const other = new Participant('zoe', wsUrl, 'books');
  await other.sees((e) => e.type === 'welcome');
  console.log(`  zoe   joined room books on worker ${other.worker}`);

  // Subscribing reaches Redis a round trip later: wait until every worker's has.
  const redis = new Redis(chat.redisUrl);
  const lobbyWorkers = new Set(lobby.map((p) => p.worker)).size;
  while (
    ((await redis.pubsub('NUMSUB', 'wslay:room:lobby')) as [string, number])[1] < lobbyWorkers
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  redis.disconnect();

  for (const speaker of lobby.slice(0, 3)) {
    const text = `hello from ${speaker.name} on worker ${speaker.worker}`;
    speaker.ws.send(JSON.stringify({ text }));
    await Promise.all(lobby.map((p) => p.sees(said(text))));
  }
  other.ws.send(JSON.stringify({ text: 'anyone reading books?' }));
  await other.sees(said('anyone reading books?'));
  const crossed = lobby.every((p) => !p.saw(said('anyone reading books?')));
  const workers = new Set(lobby.map((p) => p.worker)).size;
  console.log(
    `every lobby message reached all ${lobby.length} lobby clients on ${workers} workers; ` +
      `the books room stayed apart: ${crossed}`,
  );
  for (const p of [...lobby, other]) p.ws.close(1000, 'bye');
  await chat.close();
  console.log('done: the workers and Redis are stopped');
  if (workers < 2 || !crossed) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
