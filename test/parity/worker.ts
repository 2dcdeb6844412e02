/**
 * A campaign worker process (started by pool.ts with `--import tsx`). It runs chunks of
 * sessions and writes the index of each session to fd 3 before running it, synchronously,
 * so that when the native backend takes the process down, the parent knows which session
 * did it. It also serves crash probes: one session, native backend only (in a probe, and
 * only there, the 'abort' op really aborts: the probe's self-test).
 */
import { writeSync } from 'node:fs';
import { runCampaign, type CampaignOptions } from './campaign.js';
import { enableAbortOp, runSession } from './runner.js';
import { sessionFromJson } from './session.js';

export const PROGRESS_FD = 3;

export type WorkerRequest =
  | { type: 'chunk'; options: Omit<CampaignOptions, 'onSession' | 'sides'> }
  | { type: 'probe'; json: string }
  | { type: 'exit' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; result: ReturnType<typeof runCampaign> }
  | { type: 'probed' };

function reply(message: WorkerReply): void {
  process.send!(message);
}

process.on('message', (message: WorkerRequest) => {
  if (message.type === 'chunk') {
    const result = runCampaign({
      ...message.options,
      onSession: (i) => writeSync(PROGRESS_FD, `${i}\n`),
    });
    reply({ type: 'result', result });
  } else if (message.type === 'probe') {
    writeSync(PROGRESS_FD, 'probe\n');
    enableAbortOp();
    try {
      runSession(sessionFromJson(message.json), 'native');
    } catch {
      // Not a crash: the candidate is simply not one.
    }
    reply({ type: 'probed' });
  } else {
    process.disconnect();
  }
});

reply({ type: 'ready' });
