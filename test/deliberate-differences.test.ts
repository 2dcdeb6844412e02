import { expect, test } from 'vitest';
import { EventContext, ErrorCode, StatusCode } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { createPeer } from './helpers/peer.js';

// Each difference between the backends that docs/parity.md lists ("Deliberate
// differences"), pinned on both backends so that a change on either side shows here.

test.each(backends)(
  'a message announced over 4 GiB: native takes the header, the fallback says NOMEM (%s)',
  (backend) => {
    const ctx = EventContext.client({}, { backend });
    ctx.configSetMaxRecvMsgLength(2 ** 33);
    // A binary frame announcing 5 GiB, then its first 10 bytes.
    const start = Buffer.from('827f0000000140000000' + '41'.repeat(10), 'hex');
    if (backend === 'native') {
      expect(ctx.recvFrom(start, () => {})).toBe(start.length);
      expect(ctx.getReadEnabled()).toBe(true);
    } else {
      expect(() => ctx.recvFrom(start, () => {})).toThrow(
        expect.objectContaining({ code: ErrorCode.NOMEM }),
      );
      expect(ctx.getReadEnabled()).toBe(false);
    }
  },
);

test.each(backends)(
  "wslay's close-reason check skips two bytes of every chunk, on both backends alike (%s)",
  (backend) => {
    // The valid reason "éa" (c3 a9 61) after code 1000, split after c3: wslay refuses it.
    const split = createPeer({ backend, role: 'client' });
    split.receive('88 05 03 e8 c3', 'a9 61');
    split.flush();
    expect(split.ctx.getStatusCodeSent()).toBe(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
    const whole = createPeer({ backend, role: 'client' });
    whole.receive('88 05 03 e8 c3 a9 61');
    whole.flush();
    expect(whole.ctx.getStatusCodeSent()).toBe(StatusCode.NORMAL_CLOSURE);
  },
);
