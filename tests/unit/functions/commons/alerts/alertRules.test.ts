/**
 * The alert rules and their transitions, pure: window MAE from metrics.json's complete
 * minutes (exact), the absolute and ratio rules, label coverage, the minimum of rows,
 * and the hold: a rule is pending until its condition has held for ALERT_FOR_MINUTES,
 * then fires once, never again while it fires, and resolves once after it has been
 * clear as long; a blip shorter than the hold publishes nothing, an evaluation on too
 * few rows neither resets nor advances a hold, and the holds survive a cold start.
 */
import { describe, expect, it } from 'vitest';
import {
  type AlertInput,
  type AlertSettings,
  type AlertsDocument,
  COMPLETE_AFTER_MINUTES,
  completeUntil,
  evaluateRules,
  isAlertsDocument,
  nextAlertsDocument,
  pinnedBaseline,
  RECENT_KEPT,
  transitions,
  windowFigures,
} from '../../../../../functions/commons/alerts/alertRules.js';
import { EMPTY_SUMMARY } from '../../../../../functions/commons/metrics/aggregate.js';
import { ALERT_RULES_OFF } from '../../../../helpers/factories.js';

const MINUTE = 60_000;
/** A run at 12:00:30: minute 11:58 is the last complete one (11:59 ended less than a maintain period ago; 12:00 is under way). */
const NOW = Date.parse('2026-11-27T12:00:30.000Z');
const LAST_COMPLETE = Date.parse('2026-11-27T11:58:00.000Z');
/** The start of the complete minute `minutesAgo` before the last complete one (0: 11:58; -1: 11:59, not complete yet). */
const minuteStart = (minutesAgo: number) => new Date(LAST_COMPLETE - minutesAgo * MINUTE).toISOString();

const OFF: AlertSettings = ALERT_RULES_OFF;

/** A metrics.json with one minute per entry: [minutes before the last complete one, rows, mae, rmse]. */
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
  const published = transitions(previous, settings, evaluations, now);
  return { published, document: nextAlertsDocument(previous, settings, evaluations, published, now), evaluations };
}

describe('complete minutes', () => {
  it('ends the judged minutes a whole maintain period before the current minute', () => {
    expect(COMPLETE_AFTER_MINUTES).toBe(1);
    expect(new Date(completeUntil(NOW)).toISOString()).toBe(minuteStart(-1));
    expect(completeUntil(Date.parse('2026-11-27T12:01:00.000Z'))).toBe(Date.parse('2026-11-27T12:00:00.000Z'));
    expect(completeUntil(Date.parse('2026-11-27T12:00:59.999Z'))).toBe(Date.parse('2026-11-27T11:59:00.000Z'));
  });

  it('judges no minute that may still be receiving rows: the current one and the one just ended', () => {
    const settings = { ...OFF, maeAbove: 5 };
    const input = metrics([
      [-2, 10, 90],
      [-1, 10, 90],
      [0, 10, 1],
      [1, 10, 1],
    ]);

    const [rule] = evaluateRules(input, settings, NOW);
    const [aMinuteLater] = evaluateRules(input, settings, NOW + MINUTE);

    expect(rule).toMatchObject({ firing: false, value: 1, rows: 20, window: { from: minuteStart(1), to: minuteStart(-1) } });
    expect(rule?.asOf).toBe(minuteStart(-1));
    expect(aMinuteLater).toMatchObject({ firing: true, value: 45.5, rows: 20, window: { from: minuteStart(0), to: minuteStart(-2) } });
  });
});

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
  it('judges the absolute rule on the last complete minutes', () => {
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

  it('is taken from its minutes once they are complete, then kept', () => {
    const early = pinnedBaseline(input, pinned, Date.parse(minuteStart(7)) - 1, undefined);
    const complete = pinnedBaseline(input, pinned, Date.parse(minuteStart(7)), undefined);
    const taken = pinnedBaseline(input, pinned, NOW, undefined);
    const kept = pinnedBaseline(metrics([[0, 20, 7]]), pinned, NOW, taken);

    expect(early).toBeUndefined();
    expect(complete).toEqual({ mae: 3, rows: 20, from: minuteStart(10), to: minuteStart(8) });
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

describe('transitions, with ALERT_FOR_MINUTES 0: at the first evaluation', () => {
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
        since: minuteStart(-1),
        rows: 20,
        summary: 'MAE 9 over the last 2 complete min (20 rows) is above 5',
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
      ['drift', false],
      ['estimated_mae_ratio', false],
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
        since: minuteStart(-1),
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

describe('the hold (ALERT_FOR_MINUTES)', () => {
  const HOLD: AlertSettings = { ...OFF, windowMinutes: 1, maeAbove: 5, forMinutes: 3 };
  const at = (run: number) => new Date(NOW + run * MINUTE).toISOString();

  /**
   * One run a minute from run `from`, each judging a window of one minute: run k judges
   * minute -k (its last complete one), whose MAE is `maes[k - from]` (null: 3 rows, too
   * few to judge). A run in `refused` publishes nothing: the topic refused its message.
   */
  function runs(
    maes: readonly (number | null)[],
    settings: AlertSettings,
    options: { start?: AlertsDocument; from?: number; refused?: readonly number[] } = {},
  ) {
    let document = options.start;
    return maes.map((mae, index) => {
      const run = (options.from ?? 0) + index;
      const now = NOW + run * MINUTE;
      const input = metrics([[-run, mae === null ? 3 : 20, mae ?? 99]]);
      const evaluations = evaluateRules(input, settings, now);
      const due = transitions(document, settings, evaluations, now);
      const published = options.refused?.includes(run) ? [] : due;
      document = nextAlertsDocument(document, settings, evaluations, published, now);
      return { run, due, published, document };
    });
  }

  /** `run STATE` of each message published. */
  const published = (results: ReturnType<typeof runs>) =>
    results.flatMap((result) => result.published.map((alert) => `${result.run} ${alert.state}`));

  it('keeps a rule PENDING, unpublished, until its condition has held for the hold, then fires once', () => {
    const results = runs([9, 9, 9, 9, 9], HOLD);

    expect(published(results)).toEqual(['3 FIRING']);
    expect(results.slice(0, 4).map((result) => result.document.pending?.map((alert) => alert.minutes))).toEqual([[0], [1], [2], []]);
    expect(results[2]?.document.firing).toEqual([]);
    expect(results[2]?.document.pending).toEqual([
      {
        rule: 'mae_above',
        state: 'PENDING',
        since: minuteStart(-1),
        checked: minuteStart(-3),
        minutes: 2,
        value: 9,
        threshold: 5,
        rows: 20,
        window: 1,
        at: at(0),
      },
    ]);
    expect(results[3]?.published).toEqual([
      {
        rule: 'mae_above',
        state: 'FIRING',
        value: 9,
        threshold: 5,
        window: 1,
        from: minuteStart(-3),
        to: minuteStart(-4),
        at: at(3),
        since: minuteStart(-1),
        rows: 20,
        summary: 'MAE 9 over the last 1 complete min (20 rows) is above 5, for 3 min',
      },
    ]);
    expect(results[4]?.document.firing).toMatchObject([{ rule: 'mae_above', state: 'FIRING', at: at(3), to: minuteStart(-5) }]);
  });

  it('keeps a firing rule FIRING while it is clear, until it has been clear for the hold, then resolves once', () => {
    const results = runs([9, 9, 9, 9, 1, 1, 1, 1, 1], HOLD);

    expect(published(results)).toEqual(['3 FIRING', '7 RESOLVED']);
    expect(results[5]?.document.firing).toMatchObject([
      {
        rule: 'mae_above',
        state: 'FIRING',
        value: 9,
        clearing: { since: minuteStart(-5), checked: minuteStart(-6), minutes: 1, value: 1 },
      },
    ]);
    expect(results[7]?.published).toMatchObject([
      {
        state: 'RESOLVED',
        value: 1,
        since: minuteStart(-5),
        summary: 'MAE 1 over the last 1 complete min (20 rows) is back at or below 5, for 3 min',
      },
    ]);
    expect(results[7]?.document.firing).toEqual([]);
    expect(results[7]?.document.pending).toEqual([]);
  });

  it('publishes nothing for a blip shorter than the hold, either way', () => {
    expect(published(runs([1, 9, 9, 9, 1, 9, 9, 1, 9], HOLD))).toEqual([]);
    expect(published(runs([9, 9, 9, 9, 1, 1, 1, 9, 1, 1, 9], HOLD))).toEqual(['3 FIRING']);
  });

  it('neither resets nor advances a hold on an evaluation with too few rows', () => {
    const pending = runs([9, null, 9, 9, 9], HOLD);
    const clearing = runs([9, 9, 9, 9, 1, null, null, 1, 1, 1], HOLD);
    const quiet = runs([9, 9, 9, 9, ...Array<null>(30).fill(null)], HOLD);
    const notYet = runs([null, null, 9, 9], HOLD);

    // Without the quiet run it would fire at run 3: the minute up to it does not count.
    expect(published(pending)).toEqual(['4 FIRING']);
    expect(pending[1]?.document.pending).toMatchObject([{ since: minuteStart(-1), checked: minuteStart(-2), minutes: 0, value: 9 }]);
    expect(published(clearing)).toEqual(['3 FIRING', '9 RESOLVED']);
    expect(clearing[6]?.document.firing[0]?.clearing).toMatchObject({ since: minuteStart(-5), minutes: 0 });
    expect(published(quiet)).toEqual(['3 FIRING']);
    expect(quiet.at(-1)?.document.firing.map((alert) => alert.rule)).toEqual(['mae_above']);
    expect(published(notYet)).toEqual([]);
    expect(notYet[1]?.document.pending).toEqual([]);
  });

  it('fires and resolves at the first evaluation with ALERT_FOR_MINUTES 0', () => {
    expect(published(runs([9, 1, null, 9], { ...HOLD, forMinutes: 0 }))).toEqual(['0 FIRING', '1 RESOLVED', '3 FIRING']);
  });

  it('counts the hold on the complete-minute clock: more runs in the same minute add nothing', () => {
    const bad = metrics([[0, 20, 9]]);

    let document: AlertsDocument | undefined;
    for (const offset of [0, 10_000, 20_000, 29_000]) document = update(document, bad, HOLD, NOW + offset).document;

    expect(document?.pending).toMatchObject([{ since: minuteStart(-1), checked: minuteStart(-1), minutes: 0, at: at(0) }]);
  });

  it('judges a minute again as it stands: a window a late row made clear ends the hold', () => {
    const first = update(undefined, metrics([[0, 20, 9]]), HOLD);

    const revised = update(first.document, metrics([[0, 40, 4.5]]), HOLD, NOW + 10_000);

    expect(first.document.pending).toHaveLength(1);
    expect(revised.document.pending).toEqual([]);
    expect(revised.published).toEqual([]);
  });

  it('keeps its holds across a cold start: alerts.json as stored carries on where it stopped', () => {
    const maes = [9, 9, 9, 9, 9, 1, 1, 1, 1];
    const straight = runs(maes, HOLD);

    const before = runs(maes.slice(0, 2), HOLD);
    const stored: unknown = JSON.parse(JSON.stringify(before.at(-1)?.document));
    const after = runs(maes.slice(2), HOLD, { start: isAlertsDocument(stored) ? stored : undefined, from: 2 });

    expect(published(straight)).toEqual(['3 FIRING', '8 RESOLVED']);
    expect([...published(before), ...published(after)]).toEqual(published(straight));
    expect(after.map((result) => result.document)).toEqual(straight.slice(2).map((result) => result.document));
  });

  it('reads an alerts.json written before the hold (no `pending`): what fired keeps firing until clear for the hold', () => {
    const fired = update(undefined, metrics([[0, 20, 9]]), { ...HOLD, forMinutes: 0 }).document;
    const { pending: _, ...old } = fired;

    const results = runs([1, 1, 1, 1], HOLD, { start: old, from: 1 });

    expect(isAlertsDocument(old)).toBe(true);
    expect(published(results)).toEqual(['4 RESOLVED']);
  });

  it('publishes a FIRING the topic refused at the next run while its condition still holds, and not once it is clear', () => {
    const retried = runs([9, 9, 9, 9, 9], HOLD, { refused: [3] });
    const dropped = runs([9, 9, 9, 9, 1], HOLD, { refused: [3] });

    expect(retried[3]?.due.map((alert) => alert.state)).toEqual(['FIRING']);
    expect(retried[3]?.document).toMatchObject({ firing: [], pending: [{ rule: 'mae_above', minutes: 3 }] });
    expect(published(retried)).toEqual(['4 FIRING']);
    expect(published(dropped)).toEqual([]);
    expect(dropped.at(-1)?.document).toMatchObject({ firing: [], pending: [] });
  });

  it('holds the ratio and coverage rules alike', () => {
    const ratio = { ...HOLD, windowMinutes: 4, maeAbove: undefined, maeRatio: 1.5 };
    const coverage = { ...HOLD, maeAbove: undefined, coverageBelow: 0.8 };
    /** Each run's messages as `run rule STATE`; `input(run)` is what metrics.json holds at run `run`. */
    const states = (settings: AlertSettings, input: (run: number) => AlertInput, count: number) => {
      let document: AlertsDocument | undefined;
      const out: string[] = [];
      for (let run = 0; run < count; run++) {
        const result = update(document, input(run), settings, NOW + run * MINUTE);
        document = result.document;
        out.push(...result.published.map((alert) => `${run} ${alert.rule} ${alert.state}`));
      }
      return out;
    };
    // MAE 1 a minute, then 4 from minute 2 (run k's last complete minute is minute k): the
    // window's MAE is above 1.5 × the window before's from run 2 to run 7, when the window
    // before has caught up with the change (a ratio to the window before finds changes).
    const stepUp = (run: number) =>
      metrics(Array.from({ length: run + 11 }, (_, i): [number, number, number] => [-(run - i), 20, run - i >= 2 ? 4 : 1]));

    expect(states(ratio, stepUp, 12)).toEqual(['5 mae_ratio FIRING', '11 mae_ratio RESOLVED']);
    expect(states(coverage, () => metrics([[0, 40, 1]], 0.5), 4)).toEqual(['3 coverage_below FIRING']);
  });
});

describe('isAlertsDocument', () => {
  it('trusts only a document with its lists', () => {
    expect(isAlertsDocument({ rules: [], firing: [], recent: [] })).toBe(true);
    expect(isAlertsDocument({ firing: 'x' })).toBe(false);
    expect(isAlertsDocument(null)).toBe(false);
  });
});

describe('the drift and estimated-error rules, on drift.json', () => {
  /** A drift.json of one version: its window rows, drifted features, and estimated MAE against a reference MAE of 40. */
  function drift(rows: number, drifted: string[], estimatedMae: number | null = 40): AlertInput['drift'] {
    const window = { from: minuteStart(1), to: minuteStart(-1), minutes: 2 };
    const model = {
      reference_rows: 442,
      rows,
      test: 'ks' as const,
      threshold: 0.05,
      features: {},
      prediction: {} as never,
      drifted_features: drifted,
      drift_share: drifted.length / 10,
      dataset_drift: false,
      estimated_mae: estimatedMae,
      reference_mae: 40,
    };
    return { updated_at: new Date(NOW).toISOString(), window, method: 'auto', drift_share_threshold: 0.5, models: { 'ols-1': model } };
  }
  const DRIFT = { ...OFF, drift: true };

  it('fires naming the drifted features, and resolves once none is', () => {
    const fired = update(undefined, { ...metrics([]), drift: drift(100, ['bmi']) }, DRIFT);
    const resolved = update(fired.document, { ...metrics([]), drift: drift(100, []) }, DRIFT, NOW + MINUTE);

    expect(fired.published).toMatchObject([{ rule: 'drift', state: 'FIRING', value: 1, rows: 100, subjects: ['ols-1: bmi'] }]);
    expect(fired.published[0]?.summary).toBe('input drift over the last 2 complete min (100 rows) in ols-1: bmi');
    expect(resolved.published).toMatchObject([{ rule: 'drift', state: 'RESOLVED', value: 0 }]);
  });

  it('judges nothing with too few predictions in the window, or without drift.json', () => {
    expect(update(undefined, { ...metrics([]), drift: drift(9, ['bmi']) }, DRIFT).evaluations[0]?.firing).toBeUndefined();
    expect(update(undefined, metrics([]), DRIFT).evaluations[0]?.firing).toBeUndefined();
  });

  it("fires when a version's estimated MAE passes the ratio × its reference's MAE, before any label", () => {
    const settings = { ...OFF, estimatedMaeRatio: 1.5 };

    const high = update(undefined, { ...metrics([]), drift: drift(100, [], 61) }, settings);
    const fine = update(undefined, { ...metrics([]), drift: drift(100, [], 59) }, settings);

    expect(high.published).toMatchObject([{ rule: 'estimated_mae_ratio', value: 61, threshold: 60, subjects: ['ols-1'] }]);
    expect(fine.evaluations[0]?.firing).toBe(false);
    expect(update(undefined, { ...metrics([]), drift: drift(100, [], null) }, settings).evaluations[0]?.firing).toBeUndefined();
  });
});
