/** How a features run sends its records: whole, not at all, or half-sent — never unaccounted for. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  type EmissionOutcome,
  type EmittedRecord,
  emitRecords,
  pickRecords,
  RECORDS_PER_BATCH,
} from '../../../../../functions/commons/messaging/emission.js';
import { parseDataset } from '../../../../../functions/commons/model/dataset.js';

const DATA = parseDataset('age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n1,2,3,4,5,6,7,8,9,10,151\n0,0,0,0,0,0,0,0,0,0,75\n');
const records = (count: number) => pickRecords(DATA, count, 1_795_680_657_123);

function accountedOnce(outcome: EmissionOutcome, all: readonly EmittedRecord[]): void {
  const listed = [...outcome.emitted, ...outcome.notSent, ...outcome.halfSent];
  expect(listed.sort()).toEqual(all.map((r) => r.id).sort());
}

describe('emitRecords', () => {
  it('sends a run of up to a thousand records as one batch: ten messages of a hundred', async () => {
    const sizes: number[] = [];
    const count = async (bodies: readonly unknown[]) => {
      sizes.push(bodies.length);
    };

    await emitRecords(records(2_500), { truths: count, features: count }, { deadline: Infinity, concurrency: 8 });

    expect(RECORDS_PER_BATCH).toBe(1_000);
    expect(sizes.sort()).toEqual([1_000, 1_000, 1_000, 1_000, 500, 500]);
  });

  it('sends each batch (of ten here) as true answers, then feature vectors, and lists every id as emitted', async () => {
    const sent: { queue: string; ids: string[] }[] = [];
    const recorder = (queue: string) => async (bodies: readonly unknown[]) => {
      sent.push({ queue, ids: bodies.map((b) => (b as { id: string }).id) });
    };
    const all = records(25);

    const outcome = await emitRecords(
      all,
      { truths: recorder('y_true'), features: recorder('features') },
      { deadline: Infinity, concurrency: 3, recordsPerBatch: 10 },
    );

    expect(outcome).toEqual({ emitted: all.map((r) => r.id), notSent: [], halfSent: [] });
    expect(sent.filter((s) => s.queue === 'y_true').map((s) => s.ids.length)).toEqual([10, 10, 5]);
    for (const batch of sent.filter((s) => s.queue === 'features')) {
      const truthIndex = sent.findIndex((s) => s.queue === 'y_true' && s.ids[0] === batch.ids[0]);
      expect(truthIndex).toBeLessThan(sent.indexOf(batch));
    }
  });

  it('starts no batch after the deadline, and says the records it did not send', async () => {
    let clock = 0;
    const slow = async () => {
      clock += 100;
    };
    const all = records(100);

    const outcome = await emitRecords(
      all,
      { truths: slow, features: slow },
      { deadline: 450, concurrency: 1, now: () => clock, recordsPerBatch: 10 },
    );

    expect(outcome.emitted).toEqual(all.slice(0, 30).map((r) => r.id));
    expect(outcome.notSent).toHaveLength(70);
    expect(outcome.halfSent).toEqual([]);
    expect(outcome.reason).toMatch(/ran out of time/);
    accountedOnce(outcome, all);
  });

  it('counts a batch whose feature vectors failed as half-sent, and stops', async () => {
    let featureBatches = 0;
    const all = records(50);
    const outcome = await emitRecords(
      all,
      {
        truths: async () => {},
        features: async () => {
          if (++featureBatches === 2) throw new Error('SQS said no');
        },
      },
      { deadline: Infinity, concurrency: 1, recordsPerBatch: 10 },
    );

    expect(outcome.emitted).toEqual(all.slice(0, 10).map((r) => r.id));
    expect(outcome.halfSent).toEqual(all.slice(10, 20).map((r) => r.id));
    expect(outcome.notSent).toHaveLength(30);
    expect(outcome.reason).toBe('sending to features failed: SQS said no');
  });

  it('leaves nothing half-sent when the true answers fail', async () => {
    const all = records(20);
    const outcome = await emitRecords(
      all,
      {
        truths: async () => {
          throw new Error('queue missing');
        },
        features: async () => {},
      },
      { deadline: Infinity, concurrency: 4, recordsPerBatch: 10 },
    );

    expect(outcome).toMatchObject({ emitted: [], halfSent: [], reason: 'sending to y_true failed: queue missing' });
    accountedOnce(outcome, all);
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const tracked = async () => {
      most = Math.max(most, ++inFlight);
      // A sender that answers on a later turn of the event loop, not at once, so batches overlap; nothing is timed.
      await nextTurn();
      inFlight--;
    };

    await emitRecords(records(200), { truths: tracked, features: tracked }, { deadline: Infinity, concurrency: 4, recordsPerBatch: 10 });

    expect(most).toBe(4);
  });
});
