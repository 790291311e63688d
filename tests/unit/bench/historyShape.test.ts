/** bench/historyShape.ts: the history phase's synthetic logs and minutes. */
import { describe, expect, it } from 'vitest';
import {
  chunks,
  historyLines,
  historyRowId,
  historyShape,
  MINUTE_ROWS,
  minuteSegments,
  orphanLines,
  RECORDS_PER_RUN,
  SEGMENT_ROWS,
} from '../../../bench/historyShape.js';
import { LOGS, splitAnnotated } from '../../../functions/commons/logs/logFiles.js';
import { emittedAt } from '../../../functions/commons/messaging/recordIds.js';
import { seededRandom } from '../../../functions/commons/seededRandom.js';

const END = Date.parse('2026-12-03T15:00:00Z');
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const idOf = (line: string) => line.split(',')[0] as string;

describe('historyShape', () => {
  it('spreads the rows at 100 a second, so 1M rows span 2.8 hours and 10M 28, both ending at the same time', () => {
    const small = historyShape(1_000_000, END);
    const large = historyShape(10_000_000, END);

    expect([small.endMs, large.endMs]).toEqual([END, END]);
    expect((small.endMs - small.startMs) / 3_600_000).toBeCloseTo(2.78, 2);
    expect((large.endMs - large.startMs) / 3_600_000).toBeCloseTo(27.78, 2);
    expect([small.orphans, large.orphans]).toEqual([1_000, 10_000]);
  });

  it("gives features' ids: a run of RECORDS_PER_RUN shares its emission time, runs follow at the rate, the last at the end", () => {
    const shape = historyShape(1_000, END);

    const ids = Array.from({ length: 1_000 }, (_, i) => historyRowId(shape, i));

    expect(new Set(ids).size).toBe(1_000);
    expect(ids.every((id) => emittedAt(id) !== undefined)).toBe(true);
    expect(emittedAt(ids[0] as string)).toBe(shape.startMs);
    expect(emittedAt(ids[RECORDS_PER_RUN - 1] as string)).toBe(shape.startMs);
    expect(emittedAt(ids[RECORDS_PER_RUN] as string)).toBe(shape.startMs + 100);
    expect(emittedAt(ids[999] as string)).toBe(END);
    expect([...ids].sort()).toEqual(ids);
  });

  it('leaves the orphans out when asked to', () => {
    expect(historyShape(1_000_000, END, { rowsPerOrphan: 0 }).orphans).toBe(0);
    expect(historyShape(1_000_000, END, { rowsPerOrphan: 100 }).orphans).toBe(10_000);
  });

  it('refuses a history of no rows', () => {
    expect(() => historyShape(0, END)).toThrow(RangeError);
  });
});

describe('the one-object logs', () => {
  it("writes metric_log rows the log's own check takes, the same for the same seed", () => {
    const shape = historyShape(2_000, END);

    const text = historyLines(shape, 0, 2_000, seededRandom(1));

    expect(lines(text)).toHaveLength(2_000);
    expect(
      lines(text)
        .map((line) => LOGS.metric_log.problemOf(line))
        .filter((problem) => problem !== undefined),
    ).toEqual([]);
    expect(historyLines(shape, 0, 2_000, seededRandom(1))).toBe(text);
    expect(idOf(lines(historyLines(shape, 1_500, 1_501, seededRandom(1)))[0] as string)).toBe(historyRowId(shape, 1_500));
  });

  it("writes orphans.csv rows the log's own check takes, spread over the history, ids apart from the rows'", () => {
    const shape = historyShape(10_000, END);

    const orphans = lines(orphanLines(shape, 0, shape.orphans, seededRandom(2)));
    const rows = new Set(lines(historyLines(shape, 0, shape.rows, seededRandom(2))).map(idOf));

    expect(orphans).toHaveLength(10);
    expect(orphans.map((line) => LOGS.orphans.problemOf(line)).filter((problem) => problem !== undefined)).toEqual([]);
    expect(orphans.some((line) => rows.has(idOf(line)))).toBe(false);
    const times = orphans.map((line) => emittedAt(idOf(line)) as number);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(shape.startMs);
    expect(Math.max(...times)).toBeLessThanOrEqual(shape.endMs);
  });

  it('cuts a log into chunks that cover it once, in order', () => {
    expect(chunks(2_500, 1_000)).toEqual([
      { from: 0, to: 1_000 },
      { from: 1_000, to: 2_000 },
      { from: 2_000, to: 2_500 },
    ]);
    expect(chunks(0, 1_000)).toEqual([]);
  });
});

describe('minuteSegments', () => {
  const now = END + 3_600_000;
  const minute = (index: number, firstSeq = 1_001) =>
    minuteSegments({ firstSeq, nowMs: now, minute: index, model: 'ols-12345678', random: seededRandom(index) });

  it("numbers a minute's 6,000 rows in segments of 100 from the line after the log's last", () => {
    const segments = minute(0);

    expect(segments).toHaveLength(MINUTE_ROWS / SEGMENT_ROWS);
    expect(segments.map((segment) => segment.firstSeq)).toEqual(segments.map((_, i) => 1_001 + i * SEGMENT_ROWS));
    expect(segments.every((segment) => segment.lines.length === SEGMENT_ROWS)).toBe(true);
  });

  it('annotates each line as metric does: a metric_log row, its model, its join time, prediction and label times in the minute', () => {
    const lines = minute(0).flatMap((segment) => segment.lines);

    const noted = lines.map((line) => splitAnnotated(line, 0));

    expect(noted.map(({ line }) => LOGS.metric_log.problemOf(line)).filter((problem) => problem !== undefined)).toEqual([]);
    for (const { line, notes } of [noted[0], noted.at(-1)].filter((entry) => entry !== undefined)) {
      const emitted = emittedAt(idOf(line)) as number;
      expect(emitted).toBeGreaterThanOrEqual(now - 60_000);
      expect(emitted).toBeLessThan(now);
      expect(notes).toEqual({ model: 'ols-12345678', at: now, predictedAt: emitted + 20, labelledAt: emitted + 30 });
    }
  });

  it("keeps every minute's ids apart from the others' and from the history's", () => {
    const history = historyShape(1_000_000, END);
    const ids = [0, 1, 2].flatMap((index) =>
      minute(index).flatMap((segment) => segment.lines.map((line) => idOf(splitAnnotated(line, 0).line))),
    );

    expect(new Set(ids).size).toBe(3 * MINUTE_ROWS);
    expect(ids.some((id) => id === historyRowId(history, 999_999))).toBe(false);
    expect(ids.every((id) => /^\d{13}-[c-f][0-9a-f]{7}-\d{4}$/.test(id))).toBe(true);
  });

  it('ends a short minute with a short segment', () => {
    const segments = minuteSegments({ firstSeq: 1, nowMs: now, minute: 0, model: 'm', random: seededRandom(3), rows: 250 });

    expect(segments.map((segment) => [segment.firstSeq, segment.lines.length])).toEqual([
      [1, 100],
      [101, 100],
      [201, 50],
    ]);
  });
});
