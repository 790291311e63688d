// Types of the pure functions dashboard.client.js exports (a browser module, written in
// plain JavaScript so it is served as it is; its tests import it).
export const REFRESH_MS: number;
export type RangeName = '1h' | '6h' | '24h' | '7d' | '30d';
export const RANGES: Readonly<Record<RangeName, { label: string; ms: number; periods: 'minutes' | 'hours' }>>;
export const DEFAULT_RANGE: RangeName;
export const NO_VERSION: string;
export function fixed2(value: unknown): string;
export function fixed3(value: unknown): string;
export function significant3(value: unknown): string;
export function count(value: unknown): string;
export function grouped(value: unknown): string;
export function percent(value: unknown): string;
export function clock(iso: string): string;
export function dayHour(iso: string): string;
export function rangeOf(name: string): (typeof RANGES)[RangeName];
export function kpiFigures(metrics: unknown): Record<string, { value: unknown; text: string }>;
export function errorSeries(metrics: unknown, range?: string): { labels: string[]; mae: (number | null)[]; rmse: (number | null)[] };
export function estimateSeries(
  metrics: unknown,
  range?: string,
): { labels: string[]; realised: (number | null)[]; estimated: (number | null)[] };
export function versionOrder(metrics: unknown): string[];
export function versionSeries(
  metrics: unknown,
  range?: string,
): { labels: string[]; versions: { version: string; mae: (number | null)[] }[] };
export function histogramBars(histogram: unknown): { labels: string[]; counts: number[] };
export function scatterPoints(
  rows: unknown,
  order?: readonly string[],
): { versions: { version: string; points: { x: number; y: number }[] }[]; line: { x: number; y: number }[] };
export function modelRows(metrics: unknown): string[][];
export const NO_SEGMENTS: string;
export interface SegmentRow {
  segment: string;
  /** As under the chart's bar: cut when long. */
  label: string;
  mae: number | null;
  worst: boolean;
  cells: string[];
}
export function segmentView(
  metrics: unknown,
  chosen?: string,
): { rules: string[]; rule: string | undefined; summary: string; rows: SegmentRow[] };
export interface DriftRow {
  name: string;
  key: string;
  test: string;
  value: number | null;
  text: string;
  threshold: string;
  drifted: boolean;
  verdict: string;
}
export function driftView(
  drift: unknown,
  chosen?: string,
): { versions: string[]; version: string | undefined; summary: string; rows: DriftRow[] };
export function distributionBars(
  drift: unknown,
  version: string | undefined,
  key: string | undefined,
): { labels: string[]; reference: number[]; current: number[] };
export function alertLines(alerts: unknown): string[];
export function start(): Promise<void>;
