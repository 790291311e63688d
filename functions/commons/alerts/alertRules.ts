/**
 * The alert rules, pure: each metrics update, `evaluateRules` reads metrics.json's
 * per-minute figures and says, per rule, whether its condition holds; `transitions`
 * and `nextAlertsDocument` turn that into the messages to publish and the state kept
 * in alerts.json.
 *
 * Complete minutes only. `maintain` runs each minute just after :00, and a row of
 * minute m may still be on its way then: the pipeline takes seconds, and a row whose
 * segment is written just after a compaction reaches the log at the next one. A
 * minute is complete once a whole maintain period (COMPLETE_AFTER_MINUTES) has passed
 * since it ended, so minute m is first judged by the run at m+2:00; the window is the
 * last `windowMinutes` complete minutes (`completeUntil`). Nothing else is assumed of
 * metrics.json's `minutes`: entries with a `start` and figures. A minute's figures may
 * still change after it was judged (a late row counted in it): each run judges the
 * windows afresh from what metrics.json holds then, and keeps no verdict of a minute.
 *
 * The hold, as Prometheus' and Grafana's `for`, both ways: a rule whose condition
 * holds is PENDING (nothing published) and turns FIRING (published once) when it has
 * held on every judged evaluation for `forMinutes`; a FIRING rule whose condition is
 * clear keeps firing (`clearing`) and is RESOLVED (published once) when it has been
 * clear on every judged evaluation for `forMinutes`. An evaluation that finds the
 * other verdict ends the hold. `forMinutes` 0: a rule fires or resolves at its first
 * such evaluation. The hold is counted on the complete-minute clock (the judged
 * window's end), not the run's, so a late or repeated run neither adds nor loses time.
 *
 * A rule with fewer than `minRows` rows to judge (in its window, in its baseline, or
 * in all for label coverage) is not judged. It keeps its state, and its hold neither
 * resets nor advances: the minutes up to an evaluation that judged nothing do not
 * count, so a hold needs `forMinutes` of judged minutes, and a quiet spell neither
 * fires nor resolves anything.
 *
 * Window MAE and RMSE are exact: Σ n·mae / Σ n and √(Σ n·rmse² / Σ n) over the minutes.
 * The baseline of the ratio rule is the window before, or a pinned period whose MAE
 * is taken once its minutes are complete and kept in alerts.json (metrics.json keeps
 * only a day of minutes).
 */
import type { DriftDocument } from '../drift/driftDocument.js';
import type { MetricsDocument } from '../metrics/metricsBook.js';
import type { AlertRuleSettings } from '../platform/settings.js';

const MINUTE_MS = 60_000;

/**
 * Maintain periods (minutes) that must pass after a minute ends before it counts as
 * complete. One: a row joined at m:59 reaches the log by the compaction at m+1:00,
 * or at the latest by the one at m+2:00 when its segment was written just after the
 * former; more would only delay every alert.
 */
export const COMPLETE_AFTER_MINUTES = 1;

/** The end (exclusive, ms since epoch) of the last complete minute at `now`: the rules judge the minutes before it. */
export function completeUntil(now: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS - COMPLETE_AFTER_MINUTES * MINUTE_MS;
}

export type RuleName = 'mae_above' | 'mae_ratio' | 'coverage_below' | 'drift' | 'estimated_mae_ratio';
export type AlertState = 'FIRING' | 'RESOLVED';

/** The rules' thresholds and windows, as the settings module reads them (ALERT_*). */
export type AlertSettings = AlertRuleSettings;

/** The figures metrics.json has that the rules read, and drift.json (absent while no version has a reference). */
export type AlertInput = Pick<MetricsDocument, 'minutes' | 'totals' | 'label_coverage'> & { readonly drift?: DriftDocument | undefined };

/** The minutes a rule judged: `from` inclusive, `to` exclusive (ISO times). */
export interface AlertWindow {
  readonly minutes: number;
  readonly from: string;
  readonly to: string;
}

/** A window in a message: its minutes, or `all` (label coverage is over all rows). */
export type WindowName = number | 'all';

export interface Evaluation {
  readonly rule: RuleName;
  /** undefined: too few rows to judge; the rule keeps its state. */
  readonly firing: boolean | undefined;
  readonly value: number | null;
  readonly threshold: number | null;
  /** Rows judged (the window's, or all for label coverage). */
  readonly rows: number;
  /** null for label coverage, which is over all rows. */
  readonly window: AlertWindow | null;
  readonly baseline?: Baseline;
  /** The complete-minute clock (ISO): the end of the judged window; the hold is counted on it. */
  readonly asOf: string;
  /** The drift rule's drifted features, `<model>: <feature>`; the estimate rule's worst model. */
  readonly subjects?: readonly string[];
}

/** The ratio rule's baseline: the window before, with its MAE and rows. */
export interface Baseline {
  readonly mae: number | null;
  readonly rows: number;
  readonly from: string;
  readonly to: string;
}

/** One message on the topic, and one entry of alerts.json's `firing` and `recent`. */
export interface AlertMessage {
  readonly rule: RuleName;
  readonly state: AlertState;
  readonly value: number | null;
  readonly threshold: number | null;
  /** Minutes judged (the last complete ones), or `all`. */
  readonly window: WindowName;
  /** The window's minutes: `from` inclusive, `to` exclusive; absent for `all`. */
  readonly from?: string;
  readonly to?: string;
  /** When the rule started (FIRING) or stopped (RESOLVED) firing: the run that published it. */
  readonly at: string;
  /**
   * The hold's start on the complete-minute clock: the end of the first window on which
   * the condition held (FIRING) or was clear (RESOLVED), as on every judged one since.
   * Absent in an alerts.json written before the hold.
   */
  readonly since?: string;
  readonly rows: number;
  readonly summary: string;
  readonly baseline?: Baseline;
  /** What the rule found it on: the drifted features (`<model>: <feature>`), or the model whose estimate is high. */
  readonly subjects?: readonly string[];
}

/** A rule on its way to a transition: its condition held (toward FIRING) or was clear (toward RESOLVED) on each judged window since `since`. */
export interface Hold {
  /** The end (ISO) of the first complete window judged so. */
  readonly since: string;
  /** The end (ISO) of the latest window evaluated for it, judged or not: the next judged one adds the minutes since. */
  readonly checked: string;
  /** Judged minutes it has lasted; the rule changes state when this reaches `forMinutes`. */
  readonly minutes: number;
  /** The latest value judged. */
  readonly value: number | null;
}

/** A rule whose condition holds, not yet for `forMinutes`: shown in alerts.json, not published. */
export interface PendingAlert extends Hold {
  readonly rule: RuleName;
  readonly state: 'PENDING';
  readonly threshold: number | null;
  readonly rows: number;
  readonly window: WindowName;
  /** When it became pending: the run that first found its condition held. */
  readonly at: string;
}

/** A firing rule: its FIRING message with the latest value while it holds; `clearing` while it is clear, not yet for `forMinutes`. */
export type FiringAlert = AlertMessage & { readonly clearing?: Hold };

export interface RuleDescription {
  readonly rule: RuleName;
  readonly enabled: boolean;
  readonly description: string;
}

/** alerts.json: the rules, those firing now, those pending, and the latest transitions (newest last). */
export interface AlertsDocument {
  readonly updated_at: string;
  /** The pinned baseline period's figures, once taken. */
  readonly baseline?: Baseline;
  readonly rules: readonly RuleDescription[];
  readonly firing: readonly FiringAlert[];
  /** Absent in an alerts.json written before the hold. */
  readonly pending?: readonly PendingAlert[];
  readonly recent: readonly AlertMessage[];
}

/** Transitions kept in alerts.json's `recent`. */
export const RECENT_KEPT = 50;

interface WindowFigures {
  readonly rows: number;
  readonly mae: number | null;
  readonly rmse: number | null;
  readonly window: AlertWindow;
}

/** Exact MAE and RMSE over the minutes starting in [from, to). */
export function windowFigures(minutes: AlertInput['minutes'], from: number, to: number): WindowFigures {
  let rows = 0;
  let absSum = 0;
  let squareSum = 0;
  for (const minute of minutes) {
    const start = Date.parse(minute.start);
    if (start < from || start >= to || minute.n === 0 || minute.mae === null) continue;
    rows += minute.n;
    absSum += minute.n * minute.mae;
    squareSum += minute.n * (minute.rmse ?? 0) ** 2;
  }
  return {
    rows,
    mae: rows === 0 ? null : absSum / rows,
    rmse: rows === 0 ? null : Math.sqrt(squareSum / rows),
    window: { minutes: Math.round((to - from) / MINUTE_MS), from: new Date(from).toISOString(), to: new Date(to).toISOString() },
  };
}

/** The judged window (the last `windowMinutes` complete minutes at `now`) and the one before it. */
export function judgedWindows(input: AlertInput, windowMinutes: number, now: number): { current: WindowFigures; before: WindowFigures } {
  const end = completeUntil(now);
  const start = end - windowMinutes * MINUTE_MS;
  return {
    current: windowFigures(input.minutes, start, end),
    before: windowFigures(input.minutes, start - windowMinutes * MINUTE_MS, start),
  };
}

export function describeRules(settings: AlertSettings): RuleDescription[] {
  const w = `the last ${settings.windowMinutes} complete min`;
  const min = `at least ${settings.minRows} rows`;
  const held = settings.forMinutes === 0 ? '' : `, for ${settings.forMinutes} min`;
  return [
    {
      rule: 'mae_above',
      enabled: settings.maeAbove !== undefined,
      description: `MAE over ${w} above ${settings.maeAbove ?? 'ALERT_MAE_ABOVE (off)'}${held} (${min})`,
    },
    {
      rule: 'mae_ratio',
      enabled: settings.maeRatio !== undefined,
      description:
        settings.baseline === undefined
          ? `MAE over ${w} above ${settings.maeRatio ?? 'ALERT_MAE_RATIO (off)'} × the MAE of the ${settings.windowMinutes} min before${held} (${min} in each)`
          : `MAE over ${w} above ${settings.maeRatio ?? 'ALERT_MAE_RATIO (off)'} × the MAE of ${new Date(settings.baseline.from).toISOString()} to ${new Date(settings.baseline.to).toISOString()}${held} (${min} in each)`,
    },
    {
      rule: 'coverage_below',
      enabled: settings.coverageBelow !== undefined,
      description: `label coverage below ${settings.coverageBelow ?? 'ALERT_COVERAGE_BELOW (off)'}${held} (${min} in all)`,
    },
    {
      rule: 'drift',
      enabled: settings.drift,
      description: `a feature of a model version with a reference drifted over ${w} (drift.json)${held} (${min} of predictions)`,
    },
    {
      rule: 'estimated_mae_ratio',
      enabled: settings.estimatedMaeRatio !== undefined,
      description: `a model version's estimated MAE over ${w}, labelled or not, above ${settings.estimatedMaeRatio ?? 'ALERT_ESTIMATED_MAE_RATIO (off)'} × its reference's MAE${held} (${min} of predictions)`,
    },
  ];
}

/** The drift rule on drift.json: the drifted features of every version judged (with enough predictions in the window). */
function driftEvaluation(drift: DriftDocument | undefined, settings: AlertSettings, asOf: string): Evaluation {
  const judged = Object.entries(drift?.models ?? {}).filter(([, model]) => model.rows >= settings.minRows);
  const subjects = judged.flatMap(([version, model]) => model.drifted_features.map((feature) => `${version}: ${feature}`));
  return {
    rule: 'drift',
    firing: judged.length === 0 ? undefined : subjects.length > 0,
    value: subjects.length,
    threshold: null,
    rows: judged.reduce((rows, [, model]) => rows + model.rows, 0),
    window: drift === undefined ? null : { minutes: drift.window.minutes, from: drift.window.from, to: drift.window.to },
    asOf,
    subjects,
  };
}

/** The estimate rule on drift.json: the version whose window estimate stands highest over its reference's MAE. */
function estimateEvaluation(drift: DriftDocument | undefined, settings: AlertSettings, ratio: number, asOf: string): Evaluation {
  const judged = Object.entries(drift?.models ?? {}).filter(
    ([, model]) => model.rows >= settings.minRows && model.estimated_mae !== null && model.reference_mae > 0,
  );
  const worst = judged.sort(
    ([, a], [, b]) => (b.estimated_mae as number) / b.reference_mae - (a.estimated_mae as number) / a.reference_mae,
  )[0];
  const window = drift === undefined ? null : { minutes: drift.window.minutes, from: drift.window.from, to: drift.window.to };
  if (worst === undefined) return { rule: 'estimated_mae_ratio', firing: undefined, value: null, threshold: null, rows: 0, window, asOf };
  const [version, model] = worst;
  const threshold = ratio * model.reference_mae;
  return {
    rule: 'estimated_mae_ratio',
    firing: (model.estimated_mae as number) > threshold,
    value: model.estimated_mae,
    threshold,
    rows: model.rows,
    window,
    asOf,
    subjects: [version],
  };
}

/**
 * The pinned baseline: `kept` when it is the same period, else taken from
 * metrics.json once the period's minutes are complete; undefined before that, when
 * nothing is pinned, or when metrics.json has no row of the period.
 */
export function pinnedBaseline(input: AlertInput, settings: AlertSettings, now: number, kept: Baseline | undefined): Baseline | undefined {
  if (settings.baseline === undefined) return undefined;
  const { from, to } = settings.baseline;
  if (kept !== undefined && Date.parse(kept.from) === from && Date.parse(kept.to) === to) return kept;
  // The minute `to` falls in (when not on a minute's start) is part of the period too.
  if (Math.ceil(to / MINUTE_MS) * MINUTE_MS > completeUntil(now)) return undefined;
  const figures = windowFigures(input.minutes, from, to);
  return figures.rows === 0 ? undefined : { mae: figures.mae, rows: figures.rows, from: figures.window.from, to: figures.window.to };
}

/** Every enabled rule, judged on one metrics.json; `pinned`: the pinned baseline's figures, when one is set. */
export function evaluateRules(input: AlertInput, settings: AlertSettings, now: number, pinned?: Baseline): Evaluation[] {
  const { current, before: previousWindow } = judgedWindows(input, settings.windowMinutes, now);
  const asOf = current.window.to;
  const before =
    settings.baseline === undefined
      ? { mae: previousWindow.mae, rows: previousWindow.rows, from: previousWindow.window.from, to: previousWindow.window.to }
      : (pinned ?? {
          mae: null,
          rows: 0,
          from: new Date(settings.baseline.from).toISOString(),
          to: new Date(settings.baseline.to).toISOString(),
        });
  const enough = current.rows >= settings.minRows && current.mae !== null;
  const evaluations: Evaluation[] = [];
  if (settings.maeAbove !== undefined) {
    evaluations.push({
      rule: 'mae_above',
      firing: enough ? (current.mae as number) > settings.maeAbove : undefined,
      value: current.mae,
      threshold: settings.maeAbove,
      rows: current.rows,
      window: current.window,
      asOf,
    });
  }
  if (settings.maeRatio !== undefined) {
    const threshold = before.rows >= settings.minRows && before.mae !== null ? settings.maeRatio * before.mae : null;
    evaluations.push({
      rule: 'mae_ratio',
      firing: enough && threshold !== null ? (current.mae as number) > threshold : undefined,
      value: current.mae,
      threshold,
      rows: current.rows,
      window: current.window,
      baseline: before,
      asOf,
    });
  }
  if (settings.coverageBelow !== undefined) {
    // label_coverage is over all rows so far (no minutes): judged as it stands, its hold on the same clock.
    const coverage = input.label_coverage;
    evaluations.push({
      rule: 'coverage_below',
      firing: input.totals.n >= settings.minRows && coverage !== null ? coverage < settings.coverageBelow : undefined,
      value: coverage,
      threshold: settings.coverageBelow,
      rows: input.totals.n,
      window: null,
      asOf,
    });
  }
  if (settings.drift) evaluations.push(driftEvaluation(input.drift, settings, asOf));
  if (settings.estimatedMaeRatio !== undefined)
    evaluations.push(estimateEvaluation(input.drift, settings, settings.estimatedMaeRatio, asOf));
  return evaluations;
}

function summary(evaluation: Evaluation, state: AlertState, hold: Hold): string {
  const value = evaluation.value === null ? 'n/a' : round(evaluation.value);
  const threshold = evaluation.threshold === null ? 'n/a' : round(evaluation.threshold);
  const over =
    evaluation.window === null
      ? `over all ${evaluation.rows} rows`
      : `over the last ${evaluation.window.minutes} complete min (${evaluation.rows} rows)`;
  const held = hold.minutes === 0 ? '' : `, for ${hold.minutes} min`;
  switch (evaluation.rule) {
    case 'mae_above':
      return state === 'FIRING'
        ? `MAE ${value} ${over} is above ${threshold}${held}`
        : `MAE ${value} ${over} is back at or below ${threshold}${held}`;
    case 'mae_ratio':
      return state === 'FIRING'
        ? `MAE ${value} ${over} is above ${threshold} (the baseline's ${round(evaluation.baseline?.mae ?? Number.NaN)} × ratio)${held}`
        : `MAE ${value} ${over} is back at or below ${threshold} (the baseline's ${round(evaluation.baseline?.mae ?? Number.NaN)} × ratio)${held}`;
    case 'coverage_below':
      return state === 'FIRING'
        ? `label coverage ${value} ${over} is below ${threshold}${held}`
        : `label coverage ${value} ${over} is back at or above ${threshold}${held}`;
    case 'drift':
      return state === 'FIRING'
        ? `input drift ${over} in ${evaluation.subjects?.join(', ')}${held}`
        : `no input drift ${over} any more${held}`;
    case 'estimated_mae_ratio':
      return state === 'FIRING'
        ? `estimated MAE ${value} of ${evaluation.subjects?.join(', ')} ${over} (labels or not) is above ${threshold} (its reference's MAE × ratio)${held}`
        : `estimated MAE ${value} of ${evaluation.subjects?.join(', ')} ${over} is back at or below ${threshold}${held}`;
  }
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10_000) / 10_000) : 'n/a';
}

function message(evaluation: Evaluation, state: AlertState, now: number, hold: Hold): AlertMessage {
  return {
    rule: evaluation.rule,
    state,
    value: evaluation.value,
    threshold: evaluation.threshold,
    window: evaluation.window?.minutes ?? 'all',
    ...(evaluation.window === null ? {} : { from: evaluation.window.from, to: evaluation.window.to }),
    at: new Date(now).toISOString(),
    since: hold.since,
    rows: evaluation.rows,
    summary: summary(evaluation, state, hold),
    ...(evaluation.baseline === undefined ? {} : { baseline: evaluation.baseline }),
    ...(evaluation.subjects === undefined ? {} : { subjects: evaluation.subjects }),
  };
}

/** A hold after one more judged evaluation in its direction: begun now, or longer by the minutes since the last evaluation. */
function extend(hold: Hold | undefined, evaluation: Evaluation): Hold {
  if (hold === undefined) return { since: evaluation.asOf, checked: evaluation.asOf, minutes: 0, value: evaluation.value };
  const minutes = Math.max(0, Math.round((Date.parse(evaluation.asOf) - Date.parse(hold.checked)) / MINUTE_MS));
  return { since: hold.since, checked: evaluation.asOf, minutes: hold.minutes + minutes, value: evaluation.value };
}

/** A hold after an evaluation that judged nothing: the minutes up to it will not count. */
function pause(hold: Hold, evaluation: Evaluation): Hold {
  return Date.parse(evaluation.asOf) > Date.parse(hold.checked) ? { ...hold, checked: evaluation.asOf } : hold;
}

/** A rule's state in alerts.json: nothing (its condition is clear), pending, or firing. */
interface RuleState {
  readonly pending?: PendingAlert;
  readonly firing?: FiringAlert;
}

interface RuleStep {
  /** The rule's state after this evaluation when no message is due, or when the due one is not published. */
  readonly held: RuleState;
  /** A message due now, and the rule's state once it is published. */
  readonly due?: { readonly message: AlertMessage; readonly after: RuleState };
}

/** One rule, one evaluation: where its hold stands, and the message due when the hold is long enough. */
function step(previous: AlertsDocument | undefined, evaluation: Evaluation, forMinutes: number, now: number): RuleStep {
  const firing = previous?.firing.find((alert) => alert.rule === evaluation.rule);
  const pending = previous?.pending?.find((alert) => alert.rule === evaluation.rule);
  if (firing !== undefined) {
    const { clearing, ...alert } = firing;
    if (evaluation.firing === undefined)
      return { held: { firing: clearing === undefined ? firing : { ...alert, clearing: pause(clearing, evaluation) } } };
    if (evaluation.firing) {
      const latest = {
        value: evaluation.value,
        threshold: evaluation.threshold,
        rows: evaluation.rows,
        ...(evaluation.subjects === undefined ? {} : { subjects: evaluation.subjects }),
      };
      return {
        held: {
          firing: {
            ...alert,
            ...latest,
            ...(evaluation.window === null ? {} : { from: evaluation.window.from, to: evaluation.window.to }),
          },
        },
      };
    }
    const cleared = extend(clearing, evaluation);
    const held = { firing: { ...alert, clearing: cleared } };
    return cleared.minutes < forMinutes ? { held } : { held, due: { message: message(evaluation, 'RESOLVED', now, cleared), after: {} } };
  }
  if (evaluation.firing === undefined)
    return { held: pending === undefined ? {} : { pending: { ...pending, ...pause(pending, evaluation) } } };
  if (!evaluation.firing) return { held: {} };
  const hold = extend(pending, evaluation);
  const held = {
    pending: {
      rule: evaluation.rule,
      state: 'PENDING' as const,
      ...hold,
      threshold: evaluation.threshold,
      rows: evaluation.rows,
      window: evaluation.window?.minutes ?? ('all' as const),
      at: pending?.at ?? new Date(now).toISOString(),
    },
  };
  if (hold.minutes < forMinutes) return { held };
  const fired = message(evaluation, 'FIRING', now, hold);
  return { held, due: { message: fired, after: { firing: fired } } };
}

/**
 * The messages this update must publish: FIRING for a rule whose condition has held
 * for `forMinutes` (judged minutes) and that does not fire yet, RESOLVED for a firing
 * one that has been clear as long. Nothing while a rule keeps its state or is on hold,
 * and nothing for a rule with too few rows to judge.
 */
export function transitions(
  previous: AlertsDocument | undefined,
  settings: AlertSettings,
  evaluations: readonly Evaluation[],
  now: number,
): AlertMessage[] {
  return evaluations.flatMap((evaluation) => step(previous, evaluation, settings.forMinutes, now).due?.message ?? []);
}

/**
 * alerts.json after an update: `published` are the transitions that reached the
 * topic (one that did not is due again next update, as the rule stays on hold). A
 * firing alert keeps the `at` it started at and shows the latest value while its
 * condition holds; a rule turned off leaves `firing` and `pending` without a message.
 */
export function nextAlertsDocument(
  previous: AlertsDocument | undefined,
  settings: AlertSettings,
  evaluations: readonly Evaluation[],
  published: readonly AlertMessage[],
  now: number,
  pinned?: Baseline,
): AlertsDocument {
  const firing: FiringAlert[] = [];
  const pending: PendingAlert[] = [];
  for (const evaluation of evaluations) {
    const { held, due } = step(previous, evaluation, settings.forMinutes, now);
    const taken = due !== undefined && published.some((alert) => alert.rule === evaluation.rule && alert.state === due.message.state);
    const state = taken ? due.after : held;
    if (state.firing !== undefined) firing.push(state.firing);
    if (state.pending !== undefined) pending.push(state.pending);
  }
  return {
    updated_at: new Date(now).toISOString(),
    ...(pinned === undefined ? {} : { baseline: pinned }),
    rules: describeRules(settings),
    firing,
    pending,
    recent: [...(previous?.recent ?? []), ...published].slice(-RECENT_KEPT),
  };
}

/** Checks a stored alerts.json's shape before trusting it (a bad one starts again with nothing firing or pending). */
export function isAlertsDocument(value: unknown): value is AlertsDocument {
  const document = value as Partial<AlertsDocument> | null;
  return (
    typeof document === 'object' &&
    document !== null &&
    Array.isArray(document.firing) &&
    Array.isArray(document.recent) &&
    (document.pending === undefined || Array.isArray(document.pending))
  );
}
