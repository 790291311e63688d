/**
 * Phase 6: `npm run plot` (infra/tools/plot/cli.ts) on a million-row metric_log.csv,
 * against the homework's pandas + matplotlib (`plt.hist(bins=20)`). The CLI reports
 * its own figures with --stats (one JSON line: rows, wall_ms, peak_rss_mb); the bench
 * runs it a few times as a child process and takes medians. The reference is
 * measured side by side when python3 has pandas and matplotlib, else the figures
 * recorded in the README's Performance section are reported.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../functions/commons/logs/rowFormat.js';
import { recordId } from '../functions/commons/messaging/recordIds.js';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { lastJsonLine, runChild } from './child.js';
import type { Cleanup } from './cleanup.js';
import { median } from './stats.js';

const run = promisify(execFile);
export const PLOT_CLI = join(PROJECT_DIR, 'infra/tools/plot/cli.ts');

export interface PlotStats {
  readonly rows: number;
  readonly wall_ms: number;
  readonly peak_rss_mb: number;
}

export interface PlotReference {
  readonly tool: string;
  readonly wall_ms: number;
  readonly peak_rss_mb: number;
  readonly source: string;
}

export interface PlotCliResult extends PlotStats {
  readonly runs: readonly PlotStats[];
  /** The command line run (without the per-run arguments). */
  readonly command: string;
  /** Whole child process, start-up (node + tsx) included, median. */
  readonly process_wall_ms: number;
  readonly input_bytes: number;
  readonly reference: PlotReference;
}

export const RECORDED_REFERENCE: PlotReference = {
  tool: 'pandas + matplotlib plt.hist(bins=20)',
  wall_ms: 1300,
  peak_rss_mb: 150,
  source: 'pandas + matplotlib, measured on these machines (README, Performance)',
};

/** mulberry32: a tiny seeded generator, so every bench plots the same file. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Lines `from`..`to` (exclusive) of the generated log: ids a minute apart per 10,000, y_true in the data set's range. */
export function generatedRows(from: number, to: number, random: () => number): string {
  const base = 1_795_680_000_000;
  let text = '';
  for (let i = from; i < to; i++) {
    const yTrue = 25 + Math.floor(random() * 322);
    const yPred = yTrue + (random() - 0.5) * 2 * 120 * random();
    const id = recordId(base + Math.floor(i / 10_000) * 60_000, (0x20000000 + Math.floor(i / 10_000)).toString(16), i % 10_000);
    text += `${formatMetricRow(metricRow(id, yTrue, yPred))}\n`;
  }
  return text;
}

/** Writes a `rows`-row metric_log.csv (header first) to `path`; returns its size in bytes. */
export async function writeGeneratedLog(path: string, rows: number, seed = 42): Promise<number> {
  const random = seededRandom(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      bytes += Buffer.byteLength(text);
      out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  await write(`${METRIC_LOG_HEADER}\n`);
  for (let start = 0; start < rows; start += 10_000) await write(generatedRows(start, Math.min(rows, start + 10_000), random));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return bytes;
}

/**
 * How `npm run plot` starts the CLI (package.json's script, whose node flags matter for
 * memory), with this node; tsx's loader on the plain file when there is no such script.
 */
export function plotCommand(packageJson: string, cliPath = PLOT_CLI): { command: string; args: string[] } {
  const script = (JSON.parse(packageJson) as { scripts?: Record<string, string> }).scripts?.plot;
  const words = script?.trim().split(/\s+/) ?? [];
  if (words[0] === 'node' && words.length > 1 && !words.some((word) => /[|&;<>$`'"]/.test(word))) {
    return { command: process.execPath, args: words.slice(1).map((word) => (word === 'infra/tools/plot/cli.ts' ? cliPath : word)) };
  }
  return { command: process.execPath, args: ['--import', 'tsx', cliPath] };
}

/** The CLI's --stats line (the last JSON line of its stdout). */
export function parseStatsLine(stdout: string): PlotStats | undefined {
  const stats = lastJsonLine<PlotStats>(stdout, ['rows', 'wall_ms', 'peak_rss_mb']);
  return stats === undefined ? undefined : { rows: stats.rows, wall_ms: stats.wall_ms, peak_rss_mb: stats.peak_rss_mb };
}

const PANDAS_SCRIPT = `
import json, resource, sys, time
started = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
df = pd.read_csv(sys.argv[1])
plt.hist(df["absolute_error"], bins=20)
plt.savefig(sys.argv[2])
print(json.dumps({"rows": len(df), "wall_ms": round((time.perf_counter() - started) * 1000), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
`;

async function pandasAvailable(): Promise<boolean> {
  try {
    await run('python3', ['-c', 'import pandas, matplotlib']);
    return true;
  } catch {
    return false;
  }
}

export async function measurePlotCli(options: {
  rows: number;
  repeats?: number;
  cleanup: Cleanup;
  say: (line: string) => void;
  onChild: (stop: () => void) => void;
}): Promise<PlotCliResult> {
  const { cleanup, say, onChild } = options;
  const repeats = options.repeats ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-plot-'));
  cleanup.add('plot temp dir', () => rm(dir, { recursive: true, force: true }));
  const input = join(dir, 'metric_log.csv');
  say(`plot: writing a ${options.rows}-row metric_log.csv…`);
  const inputBytes = await writeGeneratedLog(input, options.rows);

  const runs: PlotStats[] = [];
  const processWalls: number[] = [];
  // Exactly what `npm run plot` runs (its node flags are part of its memory figure), read from package.json.
  const cli = plotCommand(await readFile(join(PROJECT_DIR, 'package.json'), 'utf8'));
  for (let i = 0; i < repeats; i++) {
    const { stdout, wallMs } = await runChild(
      cli.command,
      [...cli.args, '--input', input, '--output', join(dir, `plot-${i}.png`), '--stats'],
      onChild,
    );
    const stats = parseStatsLine(stdout);
    if (stats === undefined) throw new Error(`npm run plot -- --stats printed no stats line:\n${stdout.slice(-1_000)}`);
    if (stats.rows !== options.rows) throw new Error(`the plot CLI read ${stats.rows} rows of ${options.rows}`);
    runs.push(stats);
    processWalls.push(wallMs);
    say(`plot: run ${i + 1}/${repeats}: ${stats.wall_ms} ms, ${stats.peak_rss_mb} MB`);
  }

  let reference = RECORDED_REFERENCE;
  if (await pandasAvailable()) {
    const refRuns: PlotStats[] = [];
    for (let i = 0; i < repeats; i++) {
      const { stdout } = await runChild('python3', ['-c', PANDAS_SCRIPT, input, join(dir, `reference-${i}.png`)], onChild);
      const stats = parseStatsLine(stdout);
      if (stats) refRuns.push(stats);
    }
    if (refRuns.length > 0) {
      reference = {
        tool: RECORDED_REFERENCE.tool,
        wall_ms: median(refRuns.map((r) => r.wall_ms)),
        peak_rss_mb: median(refRuns.map((r) => r.peak_rss_mb)),
        source: 'measured side by side in this run',
      };
    }
  } else {
    say('plot: python3 has no pandas/matplotlib here; the reference figures are the recorded ones (README, Performance)');
  }
  return {
    rows: options.rows,
    wall_ms: median(runs.map((r) => r.wall_ms)),
    peak_rss_mb: median(runs.map((r) => r.peak_rss_mb)),
    runs,
    process_wall_ms: Math.round(median(processWalls)),
    command: ['node', ...cli.args].join(' ').replace(`${PROJECT_DIR}/`, ''),
    input_bytes: inputBytes,
    reference,
  };
}
