/**
 * `npm run ingest -- --truths truths.csv --predictions preds.csv [--url URL] [--batch N]`
 *
 * Backfill: sends historical true answers and predictions (CSV
 * `id,value[,model][,timestamp][,feature.<name>…]`, a header line first; csvRows.ts)
 * through the ingestion API, streaming the files, with progress on stderr and a summary
 * on stdout: rows sent, rows refused with their line and reason.
 * Truths go first, then predictions; the pipeline joins them by id in any order.
 */
import { parseArgs } from 'node:util';
import { INGEST_LIMITS } from '../../../functions/commons/ingest/ingestLimits.js';
import type { IngestKind } from '../../../functions/commons/ingest/ingestRequest.js';
import { readLocalSetting } from '../../local/settings.js';
import { PORTS } from '../../local/toolbox/localDefaults.js';
import { DEFAULT_SEND_OPTIONS, type FileOutcome, type SendOptions, sendRows } from './sender.js';

const EXIT_SOME_NOT_SENT = 1;
const EXIT_USAGE = 2;
/** Refused rows listed per file in the summary; the rest are counted. */
const REFUSALS_SHOWN = 100;

const defaultUrl = (env: NodeJS.ProcessEnv) => `http://localhost:${readLocalSetting('offlineHttpPort', env) ?? PORTS.http}`;

const USAGE = `usage: npm run ingest -- [--truths <file.csv>] [--predictions <file.csv>] [--url <API>] [--batch N] [--concurrency N]

Sends true answers and predictions from your own model through the ingestion API
(POST /truths, POST /predictions); the pipeline joins them by id, in any order.

  --truths FILE       CSV with the header id,value[,timestamp]
  --predictions FILE  CSV with the header id,value[,model][,timestamp][,feature.<name>...]:
                      model the model version; timestamp ISO 8601 with its zone or epoch ms;
                      each feature.<name> column an input of the prediction, a number or a
                      category's name (an empty cell: not known)
  --url URL           the API (default http://localhost:$OFFLINE_HTTP_PORT, else :${PORTS.http}, as for \`npm start\`)
  --batch N           rows per request, 1 to ${INGEST_LIMITS.items} (default ${DEFAULT_SEND_OPTIONS.batchSize})
  --concurrency N     requests in flight, 1 to 32 (default ${DEFAULT_SEND_OPTIONS.concurrency})

Throttling (429), server errors (5xx) and connection errors are retried with backoff.
Sending a file again is safe: the pipeline drops the halves it already has.

exit status: 0 every row sent, 1 some rows refused or not sent, 2 bad usage or unreadable file (nothing sent)`;

export interface Options {
  readonly files: readonly { readonly kind: IngestKind; readonly path: string }[];
  readonly url: string;
  readonly batchSize: number;
  readonly concurrency: number;
}

/** A bad command line (exit status 2), or --help when `asked` (the usage on stdout, status 0). */
export class UsageError extends Error {
  asked = false;
}

const FLAGS = {
  truths: { type: 'string' },
  predictions: { type: 'string' },
  url: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options in `args` (process.argv without node and the script). Throws UsageError: what was wrong, then the usage. */
export function parseArguments(args: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const fail = (message: string) => new UsageError(`${message}\n\n${USAGE}`);
  let values: { truths?: string; predictions?: string; url?: string; batch?: string; concurrency?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw fail((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  if (values.help) throw Object.assign(new UsageError(USAGE), { asked: true });
  const files = [
    ...(values.truths === undefined ? [] : [{ kind: 'truths' as const, path: values.truths }]),
    ...(values.predictions === undefined ? [] : [{ kind: 'predictions' as const, path: values.predictions }]),
  ];
  if (files.length === 0) throw fail('nothing to send: give --truths, --predictions or both');
  for (const file of files) if (file.path === '') throw fail(`--${file.kind} needs a file name`);
  const url = values.url ?? defaultUrl(env);
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url))
    throw fail(`--url needs an http:// or https:// address, not ${JSON.stringify(url)}`);
  return {
    files,
    url,
    batchSize: wholeNumber('--batch', values.batch, DEFAULT_SEND_OPTIONS.batchSize, INGEST_LIMITS.items, fail),
    concurrency: wholeNumber('--concurrency', values.concurrency, DEFAULT_SEND_OPTIONS.concurrency, 32, fail),
  };
}

function wholeNumber(flag: string, text: string | undefined, fallback: number, max: number, fail: (message: string) => Error): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw fail(`${flag} needs a whole number from 1 to ${max}, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** Opens each file and checks its header before anything is sent; throws UsageError naming what is wrong. */
export async function checkFiles(files: Options['files']): Promise<void> {
  // Loaded here, not at the top (with the message schemas and zod): --help answers without them.
  const { CsvHeaderError, openCsv, readCsvRows } = await import('./csvRows.js');
  const problems: string[] = [];
  for (const file of files) {
    try {
      const rows = readCsvRows(openCsv(file.path), file.kind);
      // Reading the first row checks the header; the stream is closed by return().
      await rows.next();
      await rows.return(undefined);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why = error instanceof CsvHeaderError ? error.message : code === 'ENOENT' ? 'no such file' : (error as Error).message;
      problems.push(`--${file.kind} ${file.path}: ${why}`);
    }
  }
  if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\nnothing was sent`);
}

/** The summary of one file, for stdout. */
export function formatOutcome(path: string, outcome: FileOutcome): string {
  const n = (count: number) => count.toLocaleString('en-US');
  const lines = [
    `${path} → ${outcome.route}: ${n(outcome.rows)} rows, ${n(outcome.sent)} sent, ${n(outcome.refused.length)} refused, ${n(outcome.failed)} not sent`,
  ];
  for (const refusal of outcome.refused.slice(0, REFUSALS_SHOWN)) {
    lines.push(
      `  refused line ${refusal.line}${refusal.id === undefined || refusal.id === '' ? '' : ` (id ${refusal.id})`}: ${refusal.reason}`,
    );
  }
  if (outcome.refused.length > REFUSALS_SHOWN) lines.push(`  … and ${n(outcome.refused.length - REFUSALS_SHOWN)} more refused rows`);
  for (const failure of outcome.failures) lines.push(`  not sent: ${failure}`);
  if (outcome.stopped !== undefined) {
    lines.push(`  stopped before the end of the file; send it again once that is fixed (rows already sent are dropped as duplicates)`);
  }
  return lines.join('\n');
}

/** Progress on stderr: a line a second at most, and every retry at once. */
function progressReporter(path: string): SendOptions['onProgress'] {
  let last = 0;
  return (outcome, retrying) => {
    if (retrying !== undefined) return void process.stderr.write(`ingest: ${path}: ${retrying}\n`);
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    process.stderr.write(
      `ingest: ${path}: ${outcome.rows.toLocaleString('en-US')} rows read, ${outcome.sent.toLocaleString('en-US')} sent, ${outcome.refused.length} refused\n`,
    );
  };
}

export async function run(options: Options): Promise<number> {
  await checkFiles(options.files);
  const { openCsv, readCsvRows } = await import('./csvRows.js');
  let complete = true;
  for (const file of options.files) {
    const started = Date.now();
    const outcome = await sendRows(readCsvRows(openCsv(file.path), file.kind), file.kind, {
      ...DEFAULT_SEND_OPTIONS,
      url: options.url,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      onProgress: progressReporter(file.path),
    });
    process.stderr.write(`ingest: ${file.path}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    console.log(formatOutcome(file.path, outcome));
    complete &&= outcome.refused.length === 0 && outcome.failed === 0;
  }
  return complete ? 0 : EXIT_SOME_NOT_SENT;
}

async function runCommandLine(args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArguments(args);
  } catch (error) {
    if (error instanceof UsageError && error.asked) {
      console.log(error.message);
      return 0;
    }
    throw error;
  }
  return await run(options);
}

/** The command line `args` run: its output printed, its exit status set. */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await runCommandLine(args);
  } catch (error) {
    console.error(`ingest: ${(error as Error).message}`);
    process.exitCode = error instanceof UsageError ? EXIT_USAGE : EXIT_SOME_NOT_SENT;
  }
}

if (require.main === module) void main();
