/** bench/metricCost.ts: the fixtures a measurement starts from. */
import { describe, expect, it } from 'vitest';
import { freshIds, halfEvents, syntheticPair } from '../../../bench/metricCost.js';
import { emittedAt } from '../../../functions/commons/messaging/recordIds.js';

describe('freshIds', () => {
  it('numbers ids on from where the last call stopped, a new run id every 10,000, never one twice', () => {
    const runIds = new Map<number, string>();

    const first = freshIds(0, 9_999, 1_795_680_000_000, runIds);
    const next = freshIds(9_999, 2, 1_795_680_000_000, runIds);
    const ids = [...first, ...next];

    expect(new Set(ids).size).toBe(10_001);
    expect(ids.every((id) => emittedAt(id) === 1_795_680_000_000)).toBe(true);
    expect(next[0]?.split('-')[1]).toBe(first[0]?.split('-')[1]);
    expect(next[1]?.split('-')[1]).not.toBe(first[0]?.split('-')[1]);
  });
});

describe('syntheticPair', () => {
  it('stays in the data set range for y_true and is the same for the same index', () => {
    const pairs = Array.from({ length: 500 }, (_, i) => syntheticPair(i));

    expect(pairs.every(({ yTrue }) => yTrue >= 25 && yTrue <= 346)).toBe(true);
    expect(syntheticPair(7)).toEqual(pairs[7]);
  });
});

describe('halfEvents', () => {
  it('builds y_true then y_pred events of 100 halves from queues named as the mappings do', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `1795680000000-00000000-${String(i).padStart(4, '0')}`);

    const events = halfEvents(ids, 0);

    expect(events.map((event) => event.Records.length)).toEqual([100, 100, 50, 50]);
    expect(events[0]?.Records[0]?.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:y_true');
    expect(events[1]?.Records[0]?.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:y_pred');
    expect(JSON.parse(events[1]?.Records[0]?.body ?? '{}')).toEqual({ id: ids[0], body: syntheticPair(0).yPred });
  });
});
