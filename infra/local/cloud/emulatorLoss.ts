/**
 * What an emulator takes along when it dies, or when the stack stops: moto keeps
 * queues and bucket in memory. The rows joined since the last compaction come back
 * from the journal (restore.ts), but the messages still queued and the halves still
 * waiting for their partner are gone. They cannot be read after the fact, so the
 * bootstrap plugin samples them at each watch (the queues' depths, and the join
 * table's pending halves) into LOGS_DIR/.ml-monitor.inflight.json and, once an empty
 * emulator is found (a restarted moto, or the next `npm start`), says what the last
 * sample held and writes the pending halves to files `npm run ingest` sends again.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type PendingRecord, parseTable } from '../../../functions/commons/join/joinTable.js';
import { formatFloat } from '../../../functions/commons/logs/rowFormat.js';
import { BUCKET_KEYS } from '../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../functions/commons/storage/s3Objects.js';
import type { BootstrapClients } from './bootstrap.js';

export interface CloudSample {
  /** Epoch ms. */
  readonly at: number;
  /** Messages in each queue: visible, in flight and delayed (SQS's approximate counts). */
  readonly queued: Readonly<Record<string, number>>;
  /** The join table's ids with one half. */
  readonly pending: Readonly<Record<string, PendingRecord>>;
}

const COUNTS = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/** Four requests: one per queue, and the join table. */
export async function sampleCloud(
  clients: BootstrapClients,
  queues: readonly { readonly name: string; readonly url: string | undefined }[],
  bucket: string,
): Promise<CloudSample> {
  const queued: Record<string, number> = {};
  for (const queue of queues) {
    const { Attributes = {} } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: [...COUNTS] }));
    queued[queue.name] = COUNTS.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
  }
  const table = await getText(clients.s3, bucket, BUCKET_KEYS.joinTable);
  return { at: Date.now(), queued, pending: table === undefined ? {} : parseTable(table.text).pending };
}

export interface LostFiles {
  readonly truths?: string;
  readonly predictions?: string;
}

/** The sample's pending halves as CSV files in `npm run ingest`'s format (`id,value` and `id,value,model`), under LOGS_DIR/lost/. */
export async function writeLostHalves(logsDir: string, sample: CloudSample): Promise<LostFiles> {
  const pending = Object.entries(sample.pending);
  const truths = pending.flatMap(([id, record]) => (record.yTrue === undefined ? [] : [`${id},${formatFloat(record.yTrue)}`]));
  const predictions = pending.flatMap(([id, record]) =>
    record.yPred === undefined ? [] : [`${id},${formatFloat(record.yPred)},${record.model ?? ''}`],
  );
  const folder = join(logsDir, 'lost');
  const stamp = new Date(sample.at).toISOString().replace(/[:.]/g, '-');
  const files: { truths?: string; predictions?: string } = {};
  if (truths.length + predictions.length > 0) await mkdir(folder, { recursive: true });
  if (truths.length > 0) {
    files.truths = join(folder, `${stamp}-truths.csv`);
    await writeFile(files.truths, `id,value\n${truths.join('\n')}\n`);
  }
  if (predictions.length > 0) {
    files.predictions = join(folder, `${stamp}-predictions.csv`);
    await writeFile(files.predictions, `id,value,model\n${predictions.join('\n')}\n`);
  }
  return files;
}

/** What the last sample held, kept in LOGS_DIR so the next start can tell what a stopped stack took along. */
export const IN_FLIGHT_FILE = '.ml-monitor.inflight.json';

export class InFlight {
  readonly #path: string | undefined;
  readonly #logsDir: string | undefined;

  constructor(logsDir: string | undefined) {
    this.#logsDir = logsDir;
    this.#path = logsDir === undefined ? undefined : join(logsDir, IN_FLIGHT_FILE);
  }

  /** Samples the queues and the join table, and keeps the sample (whole, or not at all). */
  async sample(clients: BootstrapClients, queues: Parameters<typeof sampleCloud>[1], bucket: string): Promise<void> {
    if (this.#path === undefined) return;
    const sample = await sampleCloud(clients, queues, bucket);
    await writeFile(`${this.#path}.tmp`, JSON.stringify(sample));
    await rename(`${this.#path}.tmp`, this.#path);
  }

  /**
   * Once an empty emulator is found: the line saying what the last sample held (the
   * waiting halves written for `npm run ingest`), or undefined when it held nothing.
   * The sample is then forgotten: the emulator it describes is gone.
   */
  async reportLoss(foundEmptyAt: number): Promise<string | undefined> {
    if (this.#path === undefined || this.#logsDir === undefined) return undefined;
    const sample = await readFile(this.#path, 'utf8')
      .then((text) => JSON.parse(text) as CloudSample)
      .catch(() => undefined);
    await rm(this.#path, { force: true });
    if (sample === undefined) return undefined;
    // Said even when the last check found nothing: what came after it went with the memory unseen (a burst between two checks).
    return describeLoss(sample, foundEmptyAt, await writeLostHalves(this.#logsDir, sample));
  }
}

/** One line: what the emulator held at its last sample, and how to send it again. */
export function describeLoss(sample: CloudSample, foundGoneAt: number, files: LostFiles): string {
  const when = new Date(sample.at).toISOString().slice(11, 19);
  const queued = Object.entries(sample.queued);
  const messages = queued.reduce((sum, [, count]) => sum + count, 0);
  const pending = Object.keys(sample.pending).length;
  const byQueue = queued.map(([queue, count]) => `${queue} ${count.toLocaleString('en-US')}`).join(', ');
  const resend = [files.truths && `--truths ${files.truths}`, files.predictions && `--predictions ${files.predictions}`].filter(Boolean);
  const since = Math.round((foundGoneAt - sample.at) / 1000);
  if (messages === 0 && pending === 0) {
    return (
      `the emulator's memory is gone: its last check, at ${when} UTC (${since} s before it was found empty), found nothing queued or waiting; ` +
      `what was sent after it is not known: send again your model's records of that time that have no row in metric_log.csv (duplicates are harmless)`
    );
  }
  return (
    `lost with the emulator's memory, as of its last check at ${when} UTC (${since} s before it was found empty): ` +
    `${messages.toLocaleString('en-US')} queued message(s) of up to 100 records each (${byQueue}) and ` +
    `${pending.toLocaleString('en-US')} half/halves waiting for their partner. ` +
    (messages > 0
      ? "features' own records need no resending; send again your model's records that have no row in metric_log.csv yet (duplicates are harmless)"
      : 'nothing was queued') +
    (resend.length > 0 ? `; the waiting halves: npm run ingest -- ${resend.join(' ')}` : '')
  );
}
