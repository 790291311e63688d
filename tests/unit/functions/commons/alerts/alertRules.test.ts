/**
 * The alert rules and their transitions, pure: window MAE from metrics.json's minutes
 * (exact), the absolute and ratio rules, label coverage, the minimum of rows, and a
 * rule that fires publishing once, never again while it fires, and resolving once.
 */
import { describe, expect, it } from 'vitest';
import {
  type AlertInput,
  type AlertSettings,
  type AlertsDocument,
  evaluateRules,
  isAlertsDocument,
  nextAlertsDocument,
  pinnedBaseline,
  RECENT_KEPT,
  transitions,
  windowFigures,
} from '../../../../../functions/commons/alerts/alertRules.js';
import { EMPTY_SUMMARY } from '../../../../../functions/commons/metrics/aggregate.js';

const MINUTE = 60_000;
/** 12:00:30 of a day: the current minute starts at 12:00. */
const NOW = Date.parse('2026-11-27T12:00:30.000Z');
const minuteStart = (minutesAgo: number) => new Date(Date.parse('2026-11-27T12:00:00.000Z') - minutesAgo * MINUTE).toISOString();

const OFF: AlertSettings = { windowMinutes: 2, maeAbove: undefined, maeRatio: undefined, coverageBelow: undefined, minRows: 10 };

/** A metrics.json with one minute per entry: [minutes ago, rows, mae, rmse]. */
function metrics(minutes: [number, number, number, number?][], coverage: number | null = 1): AlertInput {
  const summaries = minutes.map(([ago, n, mae, rmse]) => ({ ...summary(n, mae, rmse ?? mae), start: minuteStart(ago) }));
  const n = minutes.reduce((sum, [, rows]) => sum + rows, 0);
  return { minutes: summaries, totals: summary(n, 1, 1), label_coverage: coverage };
}

function summary(n: number, mae: number, rmse: number) {
  return { ...EMPTY_SUMMARY, n, mae, rmse, bias: 0 } as AlertInput['totals'];
}

/** Runs one update: the transitions it publishes and the document it keeps. */
function update(previous: AlertsDocument | undefined, input: AlertInput, settings: AlertSettings, now = NOW) {
  const evaluations = evaluateRules(input, settings, now);
  const published = transitions(previous, evaluations, now);
  return { published, document: nextAlertsDocument(previous, settings, evaluations, published, now), evaluations };
}

describe('windowFigures', () => {
  it('weighs each minute by its rows: MAE and RMSE are exact over the window', () => {
    const input = metrics([
      [0, 10, 1, 2],
      [1, 30, 3, 4],
      [2, 50, 100, 100],
    ]);

    const figures = windowFigures(input.minutes, Date.parse(minuteStart(1)), Date.parse(minuteStart(-1)));

    expect(figures.rows).toBe(40);
    expect(figures.mae).toBeCloseTo((10 * 1 + 30 * 3) / 40, 12);
    expect(figures.rmse).toBeCloseTo(Math.sqrt((10 * 4 + 30 * 16) / 40), 12);
    expect(figures.window).toEqual({ minutes: 2, from: minuteStart(1), to: minuteStart(-1) });
  });
});

describe('evaluateRules', () => {
  it('judges the absolute rule on the last minutes, the current one included', () => {
    const settings = { ...OFF, maeAbove: 5 };

    const [rule] = evaluateRules(
      metrics([
        [0, 10, 7],
        [1, 10, 5],
        [2, 100, 0],
      ]),
      settings,
      NOW,
    );

    expect(rule).toMatchObject({ rule: 'mae_above', firing: true, value: 6, threshold: 5, rows: 20 });
    expect(rule?.window).toEqual({ minutes: 2, from: minuteStart(1), to: minuteStart(-1) });
  });

  it('judges the ratio rule against the window before', () => {
    const settings = { ...OFF, maeRatio: 1.5 };
    const baseline: [number, number, number][] = [
      [2, 10, 2],
      [3, 10, 2],
    ];

    const [worse] = evaluateRules(metrics([[0, 20, 3.1], ...baseline]), settings, NOW);
    const [same] = evaluateRules(metrics([[0, 20, 2.9], ...baseline]), settings, NOW);

    expect(worse).toMatchObject({
      rule: 'mae_ratio',
      firing: true,
      value: 3.1,
      threshold: 3,
      baseline: { mae: 2, rows: 20, from: minuteStart(3), to: minuteStart(1) },
    });
    expect(same).toMatchObject({ rule: 'mae_ratio', firing: false, value: 2.9, threshold: 3 });
  });

  it('tells the ratio rule from the absolute one: a high but steady MAE fires only the absolute rule', () => {
    const settings = { ...OFF, maeAbove: 5, maeRatio: 1.5 };

    const evaluations = evaluateRules(
      metrics([
        [0, 20, 8],
        [2, 20, 8],
      ]),
      settings,
      NOW,
    );

    expect(evaluations.map((e) => [e.rule, e.firing])).toEqual([
      ['mae_above', true],
      ['mae_ratio', false],
    ]);
  });

  it('judges nothing on fewer than the minimum of rows, in the window or the baseline', () => {
    const settings = { ...OFF, maeAbove: 5, maeRatio: 1.5, coverageBelow: 0.9 };

    const fewNow = evaluateRules(
      metrics(
        [
          [0, 9, 50],
          [2, 20, 1],
        ],
        0.1,
      ),
      { ...settings, minRows: 10 },
      NOW,
    );
    const fewBefore = evaluateRules(
      metrics([
        [0, 20, 50],
        [2, 9, 1],
      ]),
      { ...settings, minRows: 10 },
      NOW,
    );
    const fewInAll = evaluateRules(metrics([[0, 9, 1]], 0.1), { ...settings, minRows: 10 }, NOW);

    expect(fewNow.map((e) => [e.rule, e.firing])).toEqual([
      ['mae_above', undefined],
      ['mae_ratio', undefined],
      ['coverage_below', true],
    ]);
    expect(fewBefore.map((e) => [e.rule, e.firing])).toEqual([
      ['mae_above', true],
      ['mae_ratio', undefined],
      ['coverage_below', false],
    ]);
    expect(fewInAll.find((e) => e.rule === 'coverage_below')?.firing).toBeUndefined();
  });

  it('fires the coverage rule below its threshold, over all rows', () => {
    const settings = { ...OFF, coverageBelow: 0.8 };

    const [low] = evaluateRules(metrics([[5, 40, 1]], 0.75), settings, NOW);
    const [fine] = evaluateRules(metrics([[5, 40, 1]], 0.8), settings, NOW);
    const [none] = evaluateRules(metrics([[5, 40, 1]], null), settings, NOW);

    expect(low).toMatchObject({ rule: 'coverage_below', firing: true, value: 0.75, threshold: 0.8, rows: 40, window: null });
    expect(fine?.firing).toBe(false);
    expect(none?.firing).toBeUndefined();
  });

  it('evaluates no rule that is off', () => {
    expect(evaluateRules(metrics([[0, 100, 100]], 0), OFF, NOW)).toEqual([]);
  });
});

describe('a pinned baseline', () => {
  const pinned = { ...OFF, maeRatio: 1.5, baseline: { from: Date.parse(minuteStart(10)), to: Date.parse(minuteStart(8)) } };
  const input = metrics([
    [0, 20, 7],
    [2, 20, 100],
    [9, 10, 2],
    [10, 10, 4],
  ]);

  it('is taken from its minutes once the period is over and settled, then kept', () => {
    const early = pinnedBaseline(input, pinned, Date.parse(minuteStart(7)), undefined);
    const taken = pinnedBaseline(input, pinned, NOW, undefined);
    const kept = pinnedBaseline(metrics([[0, 20, 7]]), pinned, NOW, taken);

    expect(early).toBeUndefined();
    expect(taken).toEqual({ mae: 3, rows: 20, from: minuteStart(10), to: minuteStart(8) });
    expect(kept).toBe(taken);
    expect(pinnedBaseline(input, OFF, NOW, taken)).toBeUndefined();
  });

  it('stands in for the window before in the ratio rule', () => {
    const [rule] = evaluateRules(input, pinned, NOW, pinnedBaseline(input, pinned, NOW, undefined));
    const [notYet] = evaluateRules(input, pinned, NOW, undefined);

    expect(rule).toMatchObject({ rule: 'mae_ratio', firing: true, value: 7, threshold: 4.5, baseline: { mae: 3, rows: 20 } });
    expect(notYet).toMatchObject({ rule: 'mae_ratio', firing: undefined, threshold: null });
  });

  it('is kept in alerts.json', () => {
    const baseline = pinnedBaseline(input, pinned, NOW, undefined);
    const evaluations = evaluateRules(input, pinned, NOW, baseline);

    const document = nextAlertsDocument(undefined, pinned, evaluations, [], NOW, baseline);

    expect(document.baseline).toEqual(baseline);
    expect(document.rules[1]?.description).toContain(`the MAE of ${minuteStart(10)} to ${minuteStart(8)}`);
  });
});

describe('transitions', () => {
  const settings = { ...OFF, maeAbove: 5 };
  const bad = metrics([[0, 20, 9]]);
  const good = metrics([[0, 20, 1]]);

  it('fires once, never again while it fires, and resolves once', () => {
    const first = update(undefined, bad, settings);
    const again = update(first.document, bad, settings, NOW + 10_000);
    const stillBad = update(again.document, metrics([[0, 40, 12]]), settings, NOW + 20_000);
    const resolved = update(stillBad.document, good, settings, NOW + 30_000);
    const calm = update(resolved.document, good, settings, NOW + 40_000);

    expect(first.published).toEqual([
      {
        rule: 'mae_above',
        state: 'FIRING',
        value: 9,
        threshold: 5,
        window: 2,
        from: minuteStart(1),
        to: minuteStart(-1),
        at: new Date(NOW).toISOString(),
        rows: 20,
        summary: 'MAE 9 over the last 2 min (20 rows) is above 5',
      },
    ]);
    expect(again.published).toEqual([]);
    expect(stillBad.published).toEqual([]);
    expect(resolved.published).toMatchObject([
      { rule: 'mae_above', state: 'RESOLVED', value: 1, at: new Date(NOW + 30_000).toISOString() },
    ]);
    expect(calm.published).toEqual([]);
  });

  it('keeps a firing alert with the time it began and its latest value, and the transitions newest last', () => {
    const first = update(undefined, bad, settings);
    const later = update(first.document, metrics([[0, 40, 12]]), settings, NOW + 20_000);
    const resolved = update(later.document, good, settings, NOW + 30_000);

    expect(later.document.firing).toMatchObject([
      { rule: 'mae_above', state: 'FIRING', value: 12, rows: 40, at: new Date(NOW).toISOString() },
    ]);
    expect(resolved.document.firing).toEqual([]);
    expect(resolved.document.recent.map((alert) => alert.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(resolved.document.rules.map((rule) => [rule.rule, rule.enabled])).toEqual([
      ['mae_above', true],
      ['mae_ratio', false],
      ['coverage_below', false],
    ]);
  });

  it("names the coverage rule's window `all`: it is over all rows", () => {
    const coverage = { ...OFF, coverageBelow: 0.8 };

    const { published } = update(undefined, metrics([[30, 40, 1]], 0.5), coverage);

    expect(published).toEqual([
      {
        rule: 'coverage_below',
        state: 'FIRING',
        value: 0.5,
        threshold: 0.8,
        window: 'all',
        at: new Date(NOW).toISOString(),
        rows: 40,
        summary: 'label coverage 0.5 over all 40 rows is below 0.8',
      },
    ]);
  });

  it('neither fires nor resolves on too few rows: the rule keeps its state', () => {
    const first = update(undefined, bad, settings);
    const quiet = update(first.document, metrics([[0, 3, 0]]), settings, NOW + 60_000);
    const empty = update(undefined, metrics([[0, 3, 99]]), settings);

    expect(quiet.published).toEqual([]);
    expect(quiet.document.firing.map((alert) => alert.rule)).toEqual(['mae_above']);
    expect(empty.published).toEqual([]);
    expect(empty.document.firing).toEqual([]);
  });

  it('records only the transitions that were published: one the topic refused is tried again', () => {
    const evaluations = evaluateRules(bad, settings, NOW);
    const refused = nextAlertsDocument(undefined, settings, evaluations, [], NOW);

    const retried = update(refused, bad, settings, NOW + 60_000);

    expect(refused.firing).toEqual([]);
    expect(retried.published.map((alert) => alert.state)).toEqual(['FIRING']);
  });

  it('drops a firing rule that is turned off, without a message', () => {
    const first = update(undefined, bad, settings);

    const off = update(first.document, bad, OFF);

    expect(off.published).toEqual([]);
    expect(off.document.firing).toEqual([]);
  });

  it('keeps the latest transitions only', () => {
    let document: AlertsDocument | undefined;
    for (let i = 0; i < RECENT_KEPT; i++) {
      document = update(document, bad, settings, NOW + i * 2).document;
      document = update(document, good, settings, NOW + i * 2 + 1).document;
    }

    expect(document?.recent).toHaveLength(RECENT_KEPT);
    expect(document?.recent.at(-1)?.state).toBe('RESOLVED');
  });
});

describe('isAlertsDocument', () => {
  it('trusts only a document with its lists', () => {
    expect(isAlertsDocument({ rules: [], firing: [], recent: [] })).toBe(true);
    expect(isAlertsDocument({ firing: 'x' })).toBe(false);
    expect(isAlertsDocument(null)).toBe(false);
  });
});
