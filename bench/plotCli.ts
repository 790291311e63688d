/**
 * Phase 6: `npm run plot` (infra/tools/plot/cli.ts) on a million-row metric_log.csv, against
 * the seed's pandas + matplotlib (`plt.hist(bins=20)`), side by side: each run of one is
 * followed by a run of the other, so both meet the same load. Both are whole processes,
 * start-up included: the wall time is the child's, from spawn to exit; the peak RSS is
 * its own (--stats' line, the seed script's ru_maxrss). Medians of the runs. Where
 * python3 has no pandas or matplotlib the seed side is skipped, with a message.
 */

import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../functions/commons/logs/rowFormat.js';
import { recordId } from '../functions/commons/messaging/recordIds.js';
import { seededRandom } from '../functions/commons/seededRandom.js';
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

/** One side's figures: medians of its runs, each run a whole process. */
export interface PlotSide {
  /** From spawn to exit. */
  readonly process_wall_ms: number;
  readonly peak_rss_mb: number;
  readonly runs: readonly (PlotStats & { readonly process_wall_ms: number })[];
}

export interface PlotCliResult extends PlotSide {
  readonly rows: number;
  /** The command line run (without the per-run arguments). */
  readonly command: string;
  readonly input_bytes: number;
  /** pandas + matplotlib on the same file, or why not. */
  readonly seed: (PlotSide & { readonly tool: string }) | { readonly skipped: string };
}

export const SEED_TOOL = 'pandas + matplotlib plt.hist(bins=20)';

/** The seed's process time over the CLI's (≥ 4 is the target), and the CLI's peak memory over the seed's (≤ 0.5); null without a seed side. */
export function plotRatios(result: PlotCliResult): { speedup: number | null; memoryRatio: number | null } {
  if ('skipped' in result.seed) return { speedup: null, memoryRatio: null };
  return {
    speedup: result.seed.process_wall_ms / result.process_wall_ms,
    memoryRatio: result.peak_rss_mb / result.seed.peak_rss_mb,
  };
}

function side(runs: PlotSide['runs']): PlotSide {
  return {
    process_wall_ms: Math.round(median(runs.map((r) => r.process_wall_ms))),
    peak_rss_mb: median(runs.map((r) => r.peak_rss_mb)),
    runs,
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
 * How `npm run plot` starts the CLI (package.json's script: the launcher, and node flags
 * that matter for memory), with this node; tsx's loader on the plain file when there is
 * no such script.
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

/** Why the seed cannot run here, or undefined when it can. */
async function seedMissing(): Promise<string | undefined> {
  try {
    await run('python3', ['-c', 'import pandas, matplotlib']);
    return undefined;
  } catch (error) {
    const last = String((error as { stderr?: string }).stderr ?? error)
      .trim()
      .split('\n')
      .pop();
    return `python3 cannot run the seed's pandas + matplotlib (${last}); its side is skipped`;
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
  const repeats = options.repeats ?? 5;
  const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-plot-'));
  cleanup.add('plot temp dir', () => rm(dir, { recursive: true, force: true }));
  const input = join(dir, 'metric_log.csv');
  say(`plot: writing a ${options.rows}-row metric_log.csv…`);
  const inputBytes = await writeGeneratedLog(input, options.rows);

  // Exactly what `npm run plot` runs (its node flags are part of its memory figure), read from package.json.
  const cli = plotCommand(await readFile(join(PROJECT_DIR, 'package.json'), 'utf8'));
  // A first run builds the launcher's bundle when a source changed since the last: not measured.
  await runChild(cli.command, [...cli.args, '--help'], onChild);
  const missing = await seedMissing();
  if (missing !== undefined) say(`plot: ${missing}`);
  const runs: PlotSide['runs'][number][] = [];
  const seedRuns: PlotSide['runs'][number][] = [];
  for (let i = 0; i < repeats; i++) {
    const { stdout, wallMs } = await runChild(
      cli.command,
      [...cli.args, '--input', input, '--output', join(dir, `plot-${i}.png`), '--stats'],
      onChild,
    );
    const stats = parseStatsLine(stdout);
    if (stats === undefined) throw new Error(`npm run plot -- --stats printed no stats line:\n${stdout.slice(-1_000)}`);
    if (stats.rows !== options.rows) throw new Error(`the plot CLI read ${stats.rows} rows of ${options.rows}`);
    runs.push({ ...stats, process_wall_ms: Math.round(wallMs) });
    let seedSays = '';
    if (missing === undefined) {
      const seed = await runChild('python3', ['-c', PANDAS_SCRIPT, input, join(dir, `seed-${i}.png`)], onChild);
      const seedStats = parseStatsLine(seed.stdout);
      if (seedStats === undefined) throw new Error(`the seed's script printed no stats line:\n${seed.stdout.slice(-1_000)}`);
      seedRuns.push({ ...seedStats, process_wall_ms: Math.round(seed.wallMs) });
      seedSays = `; pandas ${Math.round(seed.wallMs)} ms, ${seedStats.peak_rss_mb} MB`;
    }
    say(`plot: run ${i + 1}/${repeats}: ${Math.round(wallMs)} ms, ${stats.peak_rss_mb} MB${seedSays}`);
  }
  return {
    rows: options.rows,
    ...side(runs),
    command: ['node', ...cli.args].join(' ').replace(`${PROJECT_DIR}/`, ''),
    input_bytes: inputBytes,
    seed: missing === undefined ? { tool: SEED_TOOL, ...side(seedRuns) } : { skipped: missing },
  };
}
