/** infra/bench/metricCost.ts: the fixtures a measurement starts from. */
import { describe, expect, it } from 'vitest';
import { parseMetricLog } from '../../../../functions/commons/logs/rowFormat.js';
import { emittedAt } from '../../../../functions/commons/messaging/recordIds.js';
import { halfEvents, preloadedLog, syntheticPair } from '../../../../infra/bench/metricCost.js';

describe('preloadedLog', () => {
  it('is a log as compaction leaves it: header, K rows of distinct pipeline ids', () => {
    const rows = parseMetricLog(preloadedLog(25, 1_795_680_000_000));

    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((row) => row.id)).size).toBe(25);
    expect(rows.every((row) => (emittedAt(row.id) ?? 0) < 1_795_680_000_000)).toBe(true);
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
