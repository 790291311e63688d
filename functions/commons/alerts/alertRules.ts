/**
 * The alert rules, pure: each metrics update, `evaluateRules` reads metrics.json's
 * per-minute figures and says, per rule, whether it holds; `transitions` and
 * `nextAlertsDocument` turn that into the messages to publish (a rule that starts or
 * stops firing, once) and the state kept in alerts.json.
 *
 * The window is whole minutes, as metrics.json counts a row in the minute it was
 * joined: the last `windowMinutes` minutes up to and including the current one; the
 * baseline of the ratio rule is the window before it, or a pinned period (its MAE
 * taken once the period is over and kept in alerts.json, as metrics.json keeps only
 * a day of minutes). Window MAE and RMSE are exact:
 * Σ n·mae / Σ n and √(Σ n·rmse² / Σ n) over the minutes.
 *
 * A rule with fewer than `minRows` rows to judge (in its window, in its baseline, or
 * in all for label coverage) is not evaluated: it keeps its state, neither firing nor
 * resolving on too little data.
 */
import type { MetricsDocument } from '../metrics/metricsBook.js';

const MINUTE_MS = 60_000;

export type RuleName = 'mae_above' | 'mae_ratio' | 'coverage_below';
export type AlertState = 'FIRING' | 'RESOLVED';

export interface AlertSettings {
  readonly windowMinutes: number;
  /** Absolute MAE threshold; undefined: the rule is off. */
  readonly maeAbove: number | undefined;
  /** Window MAE above this × the baseline window's MAE; undefined: off. */
  readonly maeRatio: number | undefined;
  /** Label coverage (a fraction) below this; undefined: off. */
  readonly coverageBelow: number | undefined;
  readonly minRows: number;
  /** A pinned baseline period for the ratio rule (ms since epoch, `to` exclusive); undefined: the window before. */
  readonly baseline?: { readonly from: number; readonly to: number } | undefined;
}

/** Minutes after a pinned period ends before its MAE is taken: rows joined in it may still be on their way to the log. */
export const BASELINE_SETTLE_MINUTES = 2;

/** The figures metrics.json has that the rules read. */
export type AlertInput = Pick<MetricsDocument, 'minutes' | 'totals' | 'label_coverage'>;

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
  /** Minutes judged (the current one and those before it), or `all`. */
  readonly window: WindowName;
  /** The window's minutes: `from` inclusive, `to` exclusive; absent for `all`. */
  readonly from?: string;
  readonly to?: string;
  /** When the rule started (FIRING) or stopped (RESOLVED) firing. */
  readonly at: string;
  readonly rows: number;
  readonly summary: string;
  readonly baseline?: Baseline;
}

export interface RuleDescription {
  readonly rule: RuleName;
  readonly enabled: boolean;
  readonly description: string;
}

/** alerts.json: the rules, those firing now, and the latest transitions (newest last). */
export interface AlertsDocument {
  readonly updated_at: string;
  /** The pinned baseline period's figures, once taken. */
  readonly baseline?: Baseline;
  readonly rules: readonly RuleDescription[];
  readonly firing: readonly AlertMessage[];
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

/** The current window (the last `windowMinutes` whole minutes, the current one included) and the one before it. */
export function currentWindows(input: AlertInput, windowMinutes: number, now: number): { current: WindowFigures; before: WindowFigures } {
  const end = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const start = end - windowMinutes * MINUTE_MS;
  return {
    current: windowFigures(input.minutes, start, end),
    before: windowFigures(input.minutes, start - windowMinutes * MINUTE_MS, start),
  };
}

export function describeRules(settings: AlertSettings): RuleDescription[] {
  const w = settings.windowMinutes;
  const min = `at least ${settings.minRows} rows`;
  return [
    {
      rule: 'mae_above',
      enabled: settings.maeAbove !== undefined,
      description: `MAE over the last ${w} min above ${settings.maeAbove ?? 'ALERT_MAE_ABOVE (off)'} (${min})`,
    },
    {
      rule: 'mae_ratio',
      enabled: settings.maeRatio !== undefined,
      description:
        settings.baseline === undefined
          ? `MAE over the last ${w} min above ${settings.maeRatio ?? 'ALERT_MAE_RATIO (off)'} × the MAE of the ${w} min before (${min} in each)`
          : `MAE over the last ${w} min above ${settings.maeRatio ?? 'ALERT_MAE_RATIO (off)'} × the MAE of ${new Date(settings.baseline.from).toISOString()} to ${new Date(settings.baseline.to).toISOString()} (${min} in each)`,
    },
    {
      rule: 'coverage_below',
      enabled: settings.coverageBelow !== undefined,
      description: `label coverage below ${settings.coverageBelow ?? 'ALERT_COVERAGE_BELOW (off)'} (${min} in all)`,
    },
  ];
}

/**
 * The pinned baseline: `kept` when it is the same period, else taken from
 * metrics.json once the period is over (and BASELINE_SETTLE_MINUTES more); undefined
 * before that, when nothing is pinned, or when metrics.json has no row of the period.
 */
export function pinnedBaseline(input: AlertInput, settings: AlertSettings, now: number, kept: Baseline | undefined): Baseline | undefined {
  if (settings.baseline === undefined) return undefined;
  const { from, to } = settings.baseline;
  if (kept !== undefined && Date.parse(kept.from) === from && Date.parse(kept.to) === to) return kept;
  if (now < to + BASELINE_SETTLE_MINUTES * MINUTE_MS) return undefined;
  const figures = windowFigures(input.minutes, from, to);
  return figures.rows === 0 ? undefined : { mae: figures.mae, rows: figures.rows, from: figures.window.from, to: figures.window.to };
}

/** Every enabled rule, judged on one metrics.json; `pinned`: the pinned baseline's figures, when one is set. */
export function evaluateRules(input: AlertInput, settings: AlertSettings, now: number, pinned?: Baseline): Evaluation[] {
  const { current, before: previousWindow } = currentWindows(input, settings.windowMinutes, now);
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
    });
  }
  if (settings.coverageBelow !== undefined) {
    const coverage = input.label_coverage;
    evaluations.push({
      rule: 'coverage_below',
      firing: input.totals.n >= settings.minRows && coverage !== null ? coverage < settings.coverageBelow : undefined,
      value: coverage,
      threshold: settings.coverageBelow,
      rows: input.totals.n,
      window: null,
    });
  }
  return evaluations;
}

function summary(evaluation: Evaluation, state: AlertState): string {
  const value = evaluation.value === null ? 'n/a' : round(evaluation.value);
  const threshold = evaluation.threshold === null ? 'n/a' : round(evaluation.threshold);
  const over =
    evaluation.window === null
      ? `over all ${evaluation.rows} rows`
      : `over the last ${evaluation.window.minutes} min (${evaluation.rows} rows)`;
  switch (evaluation.rule) {
    case 'mae_above':
      return state === 'FIRING' ? `MAE ${value} ${over} is above ${threshold}` : `MAE ${value} ${over} is back at or below ${threshold}`;
    case 'mae_ratio':
      return state === 'FIRING'
        ? `MAE ${value} ${over} is above ${threshold} (the baseline's ${round(evaluation.baseline?.mae ?? Number.NaN)} × ratio)`
        : `MAE ${value} ${over} is back at or below ${threshold} (the baseline's ${round(evaluation.baseline?.mae ?? Number.NaN)} × ratio)`;
    case 'coverage_below':
      return state === 'FIRING'
        ? `label coverage ${value} ${over} is below ${threshold}`
        : `label coverage ${value} ${over} is back at or above ${threshold}`;
  }
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10_000) / 10_000) : 'n/a';
}

function message(evaluation: Evaluation, state: AlertState, now: number): AlertMessage {
  return {
    rule: evaluation.rule,
    state,
    value: evaluation.value,
    threshold: evaluation.threshold,
    window: evaluation.window?.minutes ?? 'all',
    ...(evaluation.window === null ? {} : { from: evaluation.window.from, to: evaluation.window.to }),
    at: new Date(now).toISOString(),
    rows: evaluation.rows,
    summary: summary(evaluation, state),
    ...(evaluation.baseline === undefined ? {} : { baseline: evaluation.baseline }),
  };
}

/**
 * The messages this update must publish: FIRING for a rule that fires now and did
 * not before, RESOLVED for one that fired and no longer does. Nothing while a rule
 * keeps its state, and nothing for a rule with too few rows to judge.
 */
export function transitions(previous: AlertsDocument | undefined, evaluations: readonly Evaluation[], now: number): AlertMessage[] {
  const firing = new Set(previous?.firing.map((alert) => alert.rule));
  const out: AlertMessage[] = [];
  for (const evaluation of evaluations) {
    if (evaluation.firing === true && !firing.has(evaluation.rule)) out.push(message(evaluation, 'FIRING', now));
    if (evaluation.firing === false && firing.has(evaluation.rule)) out.push(message(evaluation, 'RESOLVED', now));
  }
  return out;
}

/**
 * alerts.json after an update: `published` are the transitions that reached the
 * topic (one that did not is tried again next update, as the rule's state is kept).
 * A firing alert keeps the `at` it started at and shows the latest value; a rule
 * turned off stops firing without a message.
 */
export function nextAlertsDocument(
  previous: AlertsDocument | undefined,
  settings: AlertSettings,
  evaluations: readonly Evaluation[],
  published: readonly AlertMessage[],
  now: number,
  pinned?: Baseline,
): AlertsDocument {
  const enabled = new Set(evaluations.map((evaluation) => evaluation.rule));
  const resolved = new Set(published.filter((alert) => alert.state === 'RESOLVED').map((alert) => alert.rule));
  const firing: AlertMessage[] = [];
  for (const alert of previous?.firing ?? []) {
    if (!enabled.has(alert.rule) || resolved.has(alert.rule)) continue;
    const latest = evaluations.find((evaluation) => evaluation.rule === alert.rule);
    firing.push(
      latest === undefined || latest.firing !== true
        ? alert
        : {
            ...alert,
            value: latest.value,
            threshold: latest.threshold,
            rows: latest.rows,
            ...(latest.window === null ? {} : { from: latest.window.from, to: latest.window.to }),
          },
    );
  }
  firing.push(...published.filter((alert) => alert.state === 'FIRING'));
  return {
    updated_at: new Date(now).toISOString(),
    ...(pinned === undefined ? {} : { baseline: pinned }),
    rules: describeRules(settings),
    firing,
    recent: [...(previous?.recent ?? []), ...published].slice(-RECENT_KEPT),
  };
}

/** Checks a stored alerts.json's shape before trusting it (a bad one starts again with nothing firing). */
export function isAlertsDocument(value: unknown): value is AlertsDocument {
  const document = value as Partial<AlertsDocument> | null;
  return typeof document === 'object' && document !== null && Array.isArray(document.firing) && Array.isArray(document.recent);
}
