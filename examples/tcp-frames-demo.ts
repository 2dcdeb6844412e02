// A server context and a client context talking over a real TCP connection on
// 127.0.0.1, printing every frame each side receives. The opening HTTP handshake is
// out of scope for the low-level API, so both sides start straight after it.
import net from 'node:net';
import { EventContext, ErrorCode, Opcode, backend } from '../src/index.js';

const opcodeNames: Record<number, string> = Object.fromEntries(
  Object.entries(Opcode).map(([name, value]) => [value, name]),
);

/** Drives one context from one socket: the I/O loop every wslay program needs. */
function attach(
  socket: net.Socket,
  role: 'server' | 'client',
  onMessage: (ctx: EventContext, text: string) => void,
) {
  const pending: Buffer[] = [];
  const ctx = EventContext[role]({
    recv(c, buf) {
      const chunk = pending.shift();
      if (chunk === undefined) {
        c.setError(ErrorCode.WOULDBLOCK);
        return -1;
      }
      const n = Math.min(chunk.length, buf.length);
      buf.set(chunk.subarray(0, n));
      if (n < chunk.length) pending.unshift(chunk.subarray(n));
      return n;
    },
    send(_c, data) {
      socket.write(Buffer.from(data)); // the view is only valid during this call
      return data.length;
    },
    onFrameRecvStart(_c, { fin, opcode, payloadLength }) {
      console.log(
        `${role} <- frame ${opcodeNames[opcode] ?? opcode} fin=${fin} length=${payloadLength}`,
      );
    },
    onMsgRecv(c, { opcode, msg, statusCode }) {
      if (opcode === Opcode.CONNECTION_CLOSE) {
        console.log(`${role} <- close ${statusCode} "${Buffer.from(msg.subarray(2)).toString()}"`);
      } else if (opcode === Opcode.TEXT_FRAME) {
        onMessage(c, Buffer.from(msg).toString());
      }
    },
  });
  const pump = () => {
    if (ctx.wantWrite()) ctx.send();
    if (!ctx.wantRead() && !ctx.wantWrite()) socket.end();
  };
  socket.on('data', (chunk) => {
    pending.push(chunk);
    ctx.recv();
    pump();
  });
  socket.on('close', () => ctx.free());
  return { ctx, pump };
}

const server = net.createServer((socket) => {
  attach(socket, 'server', (ctx, text) => {
    console.log(`server <- "${text}", echoing`);
    ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: text.toUpperCase() });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(`wslay ${backend} backend; server on 127.0.0.1:${port}`);
  const socket = net.connect(port, '127.0.0.1', () => {
    const words = ['hello', 'from', 'wslay'];
    const client = attach(socket, 'client', (ctx, text) => {
      console.log(`client <- "${text}"`);
      const next = words.shift();
      if (next) ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: next });
      else ctx.queueClose(1000, 'done');
    });
    client.ctx.queueMsg({ opcode: Opcode.PING, msg: 'are you there?' });
    client.ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: words.shift()! });
    client.pump();
  });
  socket.on('close', () => {
    console.log('connection closed cleanly');
    server.close();
  });
});
