/**
 * `npm start`'s first look: a features run right away, then maintain and plot until
 * plot finds rows, so the first rows and histogram show within seconds instead of at
 * the next minute; and one line saying how many rows the log holds (restored ones
 * too) and whether the copy in LOGS_DIR holds them. Also the dashboard's address the
 * ready block prints.
 */
import type { MaintainResult } from '../../functions/maintain.js';
import type { PlotResult } from '../../functions/plot.js';
import type { RunningStack } from './supervisor.js';
import { invoke } from './toolbox/invoke.js';
import { functionName } from './toolbox/localDefaults.js';
import { waitFor } from './toolbox/retry.js';

/** How long the first look waits for plot to find rows after the first features run. */
const FIRST_LOOK_TIMEOUT_MS = 25_000;

export async function firstLook(stack: RunningStack, bucket: string, logsDir: string, say: (line: string) => void): Promise<void> {
  const features = await invoke(stack.lambdaEndpoint, functionName('features'));
  if (!features.ok) return say(`first features run failed: ${features.error}`);
  let last = 'no answer';
  let added = 0;
  const found = await waitFor(
    async () => {
      const maintain = await invoke(stack.lambdaEndpoint, functionName('maintain'));
      const result = maintain.ok ? (maintain.response as MaintainResult) : undefined;
      added += result?.rowsAdded ?? 0;
      const plot = await invoke(stack.lambdaEndpoint, functionName('plot'));
      last = plot.ok ? (added === 0 ? 'no row of this start yet' : 'plot found no rows yet') : plot.error;
      const plotted = plot.ok ? ((plot.response as Partial<PlotResult> | undefined)?.rows ?? 0) : 0;
      // This start's own rows, not only restored ones: the pipeline is shown to work.
      return plotted > 0 && added > 0 ? result : undefined;
    },
    { timeoutMs: FIRST_LOOK_TIMEOUT_MS, intervalMs: 2_000, what: 'the first rows' },
  ).catch(() => undefined);
  if (found === undefined) return say(`first look: no rows after ${FIRST_LOOK_TIMEOUT_MS / 1000} s (${last}); the log above says why`);
  say(firstLookLine({ ...found, rowsAdded: added }, logsDir, bucket));
}

/** The first look's line: the log's rows as maintain counts them (this start's among them), and whether LOGS_DIR's copy holds them. */
export function firstLookLine(maintain: Pick<MaintainResult, 'rows' | 'rowsAdded' | 'copy'>, logsDir: string, bucket: string): string {
  const count = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
  const rows =
    maintain.rows === maintain.rowsAdded
      ? count(maintain.rows)
      : `${count(maintain.rows)} (${maintain.rowsAdded.toLocaleString('en-US')} new)`;
  const where =
    maintain.copy === 'failed' || maintain.copy === 'diverged'
      ? `${rows} in s3://${bucket}/metric_log.csv, but ${logsDir}/metric_log.csv is not up to date (the line above says why)`
      : `${rows} in ${logsDir}/metric_log.csv`;
  return `first look: ${where}, histogram in ${logsDir}/error_distribution.png (s3://${bucket}/error_distribution.png)`;
}

/**
 * The dashboard's address as a browser on this machine opens it: serverless-offline's
 * host and HTTP port, where a host that binds every interface (the compose app's
 * 0.0.0.0) is reached as localhost, and an IPv6 literal goes in brackets.
 */
export function dashboardAddress(host: string, httpPort: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${httpPort}/`;
}
