/**
 * The alert rules on the project's own model: the OLS model of model.json answering
 * random rows of the diabetes data set, 10 a minute (RECORDS_PER_RUN's default), each
 * minute's figures made by the metrics' own aggregation, judged by one run a minute
 * (3 s after :00, as maintain's schedule) with the default window (15 min), hold
 * (3 min) and minimum of rows, and `ALERT_MAE_ABOVE` 6% above the model's usual MAE
 * (its MAE over the data set, 43.28, so 45.87) as in issue 17's report. Twenty hours,
 * seeds 1 to 20, each from the first minute the stack runs (its first windows are short
 * and noisier).
 *
 * 6% above is about one standard error of a 15-minute window's MAE (150 rows), so
 * the window itself stays above the threshold for minutes at a time in a steady hour:
 * the hold cannot make those spells go away, it keeps them from flapping. Measured on
 * these twenty hours: firing at once (ALERT_FOR_MINUTES 0) makes 83 transitions, 37 of
 * them within 3 minutes of the one before; the hold makes 34, none within 3 minutes, and
 * at most one FIRING/RESOLVED pair in 16 of the 20 hours (the other 4 have two spells,
 * each firing 6 minutes or more). Over 100 such hours: 87 with at most one pair.
 */
import { describe, expect, it } from 'vitest';
import {
  type AlertInput,
  type AlertSettings,
  type AlertsDocument,
  COMPLETE_AFTER_MINUTES,
  evaluateRules,
  nextAlertsDocument,
  transitions,
} from '../../../../../functions/commons/alerts/alertRules.js';
import { pickRecords } from '../../../../../functions/commons/messaging/emission.js';
import { type Aggregate, addRow, emptyAggregate, summarize } from '../../../../../functions/commons/metrics/aggregate.js';
import { parseDataset } from '../../../../../functions/commons/model/dataset.js';
import datasetCsv from '../../../../../functions/commons/model/diabetes.csv';
import { assertModel, predict } from '../../../../../functions/commons/model/linearModel.js';
import modelArtefact from '../../../../../functions/commons/model/model.json';
import { readSettings } from '../../../../../functions/commons/platform/settings.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const HOUR = 60;
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

const dataset = parseDataset(datasetCsv);
const model = assertModel(modelArtefact);
const defaults = readSettings({});
/** The model's usual MAE: its MAE over the data set, the expected MAE of a random row. */
const USUAL_MAE = dataset.reduce((sum, row) => sum + Math.abs(predict(model, row.features) - row.target), 0) / dataset.length;
/** The default rules, with ALERT_MAE_ABOVE 6% above the usual MAE and the others off. */
const SETTINGS: AlertSettings = { ...defaults.alerts, maeAbove: 1.06 * USUAL_MAE, maeRatio: undefined, coverageBelow: undefined };
const FOR = SETTINGS.forMinutes;
const WINDOW = SETTINGS.windowMinutes;

/** A row's answer and the model's prediction; `worse` turns a prediction into a worse one. */
interface Row {
  readonly yTrue: number;
  readonly yPred: number;
}

/** An hour of rows, RECORDS_PER_RUN a minute, picked as `features` picks them; from minute `worseFrom` the predictions go through `worse`. */
function hourOfRows(seed: number, degradation?: { from: number; worse: (yPred: number) => number }): Row[][] {
  const random = seededRandom(seed);
  return Array.from({ length: HOUR }, (_, minute) =>
    pickRecords(dataset, defaults.recordsPerRun, T0 + minute * MINUTE, random, `seed-${seed}`).map((record) => {
      const yPred = predict(model, record.features);
      return { yTrue: record.target, yPred: degradation !== undefined && minute >= degradation.from ? degradation.worse(yPred) : yPred };
    }),
  );
}

function aggregateOf(rows: readonly Row[], into: Aggregate = emptyAggregate()): Aggregate {
  for (const row of rows) addRow(into, row.yTrue, row.yPred, Math.abs(row.yTrue - row.yPred));
  return into;
}

/** metrics.json's figures at a run: one entry per minute of `minutes` (their rows joined by then), and the totals. */
function metricsOf(minutes: readonly Row[][]): AlertInput {
  const totals = emptyAggregate();
  for (const rows of minutes) aggregateOf(rows, totals);
  return {
    minutes: minutes.map((rows, minute) => ({ start: new Date(T0 + minute * MINUTE).toISOString(), ...summarize(aggregateOf(rows)) })),
    totals: summarize(totals),
    label_coverage: 1,
  };
}

interface Transition {
  /** The run's minute (from the hour's start). */
  readonly run: number;
  readonly state: string;
  /** The end of the window it judged, in minutes from the hour's start. */
  readonly windowEnd: number;
}

/** One run a minute, 3 s after :00, through the hour and the minute after: the messages published, and each run's alerts.json. */
function judge(hour: readonly Row[][], settings: AlertSettings) {
  let document: AlertsDocument | undefined;
  const published: Transition[] = [];
  const documents: AlertsDocument[] = [];
  for (let run = 1; run <= HOUR + 1; run++) {
    const now = T0 + run * MINUTE + 3_000;
    // The rows of the current minute are still in flight; earlier minutes are in metrics.json.
    const input = metricsOf(hour.slice(0, run));
    const evaluations = evaluateRules(input, settings, now);
    const messages = transitions(document, settings, evaluations, now);
    document = nextAlertsDocument(document, settings, evaluations, messages, now);
    documents[run] = document;
    published.push(...messages.map((m) => ({ run, state: m.state, windowEnd: (Date.parse(m.to ?? '') - T0) / MINUTE })));
  }
  return { published, documents };
}

/** Transitions that follow the one before within `minutes`: flapping. */
function quick(published: readonly Transition[], minutes: number): number {
  return published.filter((transition, i) => i > 0 && transition.run - (published[i - 1] as Transition).run <= minutes).length;
}

describe("the alert rules on the project's own model", () => {
  const steady = SEEDS.map((seed) => hourOfRows(seed));

  it('runs with the defaults: a 15-minute window, a 3-minute hold, 10 rows a minute, a threshold 6% above an MAE of 43.28', () => {
    expect([WINDOW, FOR, defaults.recordsPerRun, SETTINGS.minRows]).toEqual([15, 3, 10, 30]);
    expect(USUAL_MAE).toBeCloseTo(43.2775, 4);
  });

  it('flaps in no steady hour: an alert fires for at least the hold and stays resolved as long, where firing at once flaps', () => {
    const held = steady.map((hour) => judge(hour, SETTINGS).published);
    const atOnce = steady.map((hour) => judge(hour, { ...SETTINGS, forMinutes: 0 }).published);

    for (const published of held) {
      expect(published.map((t) => t.state)).toEqual(published.map((_, i) => (i % 2 === 0 ? 'FIRING' : 'RESOLVED')));
      expect(quick(published, FOR)).toBe(0);
    }
    const count = (hours: Transition[][]) => hours.reduce((sum, published) => sum + published.length, 0);
    const calm = (hours: Transition[][]) => hours.filter((published) => published.length <= 2).length;
    expect(atOnce.reduce((sum, published) => sum + quick(published, FOR), 0)).toBeGreaterThan(0);
    expect(count(held)).toBeLessThan(count(atOnce) / 2);
    // At most one FIRING/RESOLVED pair in at least 3 hours out of 4 (16 of these 20; 87 of 100 hours).
    expect(calm(held)).toBeGreaterThanOrEqual(15);
    expect(calm(held)).toBeGreaterThan(calm(atOnce));
  });

  it('fires on a real degradation within the window and the hold: predictions 30% too high from minute 30', () => {
    const from = 30;
    const worse = (yPred: number) => yPred * 1.3;
    // The first window all of whose minutes are worse ends at minute from + WINDOW; held FOR
    // minutes more, its end is judged by the run COMPLETE_AFTER_MINUTES later.
    // (Measured: in the 14 hours not firing already, FIRING came 5 to 16 runs after the change, median 7.5.)
    const firingBy = from + WINDOW + FOR + COMPLETE_AFTER_MINUTES;

    for (const seed of SEEDS) {
      const { published, documents } = judge(hourOfRows(seed, { from, worse }), SETTINGS);

      const after = published.filter((t) => t.windowEnd > from);
      for (let run = firingBy; run <= HOUR + 1; run++) {
        expect(
          documents[run]?.firing.map((alert) => alert.rule),
          `seed ${seed}, run ${run}`,
        ).toEqual(['mae_above']);
      }
      // It fired after the change began, or was firing already (a steady spell) and kept on.
      expect(after.filter((t) => t.state === 'FIRING').every((t) => t.windowEnd <= from + WINDOW + FOR)).toBe(true);
    }
  });
});
