/**
 * The differential parity check on a fixed budget: 6000 generated sessions with fixed
 * seeds, each run on the native and the fallback backend side by side, and engine sessions
 * on libwslay itself too. Any difference that is not a documented deviation
 * (known-differences.ts, docs/parity.md) fails, with a shrunk reproduction in the message.
 * Longer campaigns: npm run parity -- --help.
 */
import { describe, expect, test } from 'vitest';
import { nativeLoadError } from '../../src/index.js';
import { runCampaign, type CampaignOptions, type CampaignResult } from './campaign.js';
import { wslayTraceBinary } from './libwslay.js';

/** The budget per part; four parts, 6000 sessions in all. */
const PARTS: { name: string; options: Pick<CampaignOptions, 'seed' | 'count' | 'gen'> }[] = [
  {
    name: 'event API, server role',
    options: { seed: 0x5e1, count: 1200, gen: { role: 'server' } },
  },
  {
    name: 'event API, client role',
    options: { seed: 0xc11, count: 1200, gen: { role: 'client' } },
  },
  { name: 'frame API', options: { seed: 0xf4a, count: 600, gen: { api: 'frame' } } },
  {
    name: 'engine scripts, both engines against libwslay',
    options: { seed: 0xe46, count: 3000, gen: { api: 'engine' } },
  },
];

function explain(r: CampaignResult): string {
  const lines = [`${r.failures} of ${r.sessions} sessions differ between the backends:`];
  for (const [sig, s] of Object.entries(r.signatures))
    lines.push(`  ${s.count} × ${sig} (first: npm run parity -- --one ${s.seed})`);
  for (const rep of r.reports)
    lines.push(
      '',
      `session #${rep.index}, shrunk from ${rep.stepsBefore} to ${rep.stepsAfter} steps:`,
      rep.text,
    );
  return lines.join('\n');
}

describe.runIf(nativeLoadError === null || process.env.WSLAY_REQUIRE_NATIVE === '1')(
  'parity: native vs fallback',
  () => {
    test.each(PARTS)(
      '$name: no difference but documented ones',
      ({ options }) => {
        const r = runCampaign({ ...options, start: 0, maxReports: 2, shrinkTimeMs: 10_000 });
        expect(r.sessions).toBe(options.count);
        expect(r.failures, explain(r)).toBe(0);
        expect(r.crashes).toEqual([]);
        expect(r.passed + Object.values(r.known).reduce((a, b) => a + b, 0)).toBe(r.sessions);
      },
      120_000,
    );

    // Where the addon builds, so does the C driver: the same compiler and libwslay-dev.
    test.runIf(process.env.WSLAY_REQUIRE_NATIVE === '1')(
      'engine sessions are compared with libwslay itself, not only between the backends',
      () => {
        expect(wslayTraceBinary()).not.toBeNull();
      },
    );
  },
);
