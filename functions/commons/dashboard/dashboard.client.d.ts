// Types of the pure functions dashboard.client.js exports (a browser module, written in
// plain JavaScript so it is served as it is; its tests import it).
export const REFRESH_MS: number;
export const MINUTES_SHOWN: number;
export function fixed2(value: unknown): string;
export function count(value: unknown): string;
export function percent(value: unknown): string;
export function clock(iso: string): string;
export function kpiFigures(metrics: unknown): Record<string, { value: unknown; text: string }>;
export function minuteSeries(metrics: unknown): { labels: string[]; mae: (number | null)[]; rmse: (number | null)[] };
export function histogramBars(histogram: unknown): { labels: string[]; counts: number[] };
export function scatterPoints(rows: unknown): { points: { x: number; y: number }[]; line: { x: number; y: number }[] };
export function modelRows(metrics: unknown): string[][];
export function alertLines(alerts: unknown): string[];
export function start(): Promise<void>;
