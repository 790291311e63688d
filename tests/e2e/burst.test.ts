/**
 * The storm a user can make with two commands: ten `features` runs of 500 records at
 * once on the shipped defaults. Every run answers with its ids, none times out, and
 * every id ends as exactly one row in S3 and logs/, with nothing dead-lettered.
 * (How fast is the bench's business: `npm run bench -- --burst 10`.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type BurstResult, measureBurst } from '../../bench/burst.js';
import { Cleanup } from '../../bench/cleanup.js';

const cleanup = new Cleanup();
const lines: string[] = [];

afterAll(async () => {
  await cleanup.runAll();
}, 60_000);

describe('a burst on the shipped defaults', () => {
  it('drains: every emitted id is one row, no Lambda time-out, nothing dead-lettered', async () => {
    const result: BurstResult = await measureBurst({
      runs: 10,
      recordsPerRun: 500,
      timeoutSeconds: 840,
      cleanup,
      say: (line) => lines.push(line),
    });

    expect(result.features_failed, lines.join('\n')).toBe(0);
    expect(result.records_emitted).toBe(5000);
    expect(result.records_not_sent + result.records_half_sent).toBe(0);
    expect(result.drain_s, lines.join('\n')).not.toBeNull();
    expect(result.rows_missing).toBe(0);
    expect(result.rows_duplicated).toBe(0);
    expect(result.lambda_timeouts, result.problems.join('\n')).toBe(0);
    expect(result.dead_letters).toEqual({ 'features-dlq': 0, 'y_true-dlq': 0, 'y_pred-dlq': 0 });
  }, 900_000);
});
