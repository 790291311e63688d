/** Choosing what the features function emits: random data rows under fresh ids. */
import type { DataRow } from '../model/dataset.js';
import { MAX_RECORDS_PER_MESSAGE } from './messageSchemas.js';
import { newRunId, recordId } from './recordIds.js';
import { SQS_LIMITS } from './sqsLimits.js';

export interface EmittedRecord {
  readonly id: string;
  readonly features: readonly number[];
  readonly target: number;
  /** Index of the data row, for tracing a row back to the data set. */
  readonly row: number;
  /** Epoch ms it was emitted: the prediction's time, and its true answer's (both known at once here). */
  readonly at: number;
}

export function pickRecords(
  dataset: readonly DataRow[],
  count: number,
  nowMs: number,
  random: () => number = Math.random,
  runId: string = newRunId(),
): EmittedRecord[] {
  if (dataset.length === 0) throw new Error('the data set is empty');
  return Array.from({ length: count }, (_, index) => {
    const row = Math.floor(random() * dataset.length);
    const data = dataset[row] as DataRow;
    return { id: recordId(nowMs, runId, index), features: data.features, target: data.target, row, at: nowMs };
  });
}

/** Sends one batch of records to a queue (packed, one or two requests); throws when any of them is not sent. */
export type SendBatch = (bodies: readonly unknown[]) => Promise<void>;

export interface EmissionSenders {
  readonly truths: SendBatch;
  readonly features: SendBatch;
}

export interface EmissionOutcome {
  /** Both halves sent: these ids end as rows. */
  readonly emitted: readonly string[];
  /** Neither half sent: these records do not exist for the pipeline. */
  readonly notSent: readonly string[];
  /** The true answer sent, the feature vector not: these ids end in orphans.csv. */
  readonly halfSent: readonly string[];
  /** Why the run stopped short, when it did. */
  readonly reason?: string;
}

export interface EmissionOptions {
  /** Epoch ms after which no new batch is started (the function's timeout, less a margin). */
  readonly deadline: number;
  /** Batches of records in flight at once. */
  readonly concurrency: number;
  /** Records to a batch; RECORDS_PER_BATCH unless a test wants small ones. */
  readonly recordsPerBatch?: number;
  readonly now?: () => number;
}

/** Ten messages of MAX_RECORDS_PER_MESSAGE: one SendMessageBatch request, two when the packs are big. */
export const RECORDS_PER_BATCH = SQS_LIMITS.batchEntries * MAX_RECORDS_PER_MESSAGE;

/** The two halves of a record, in the order they are sent, and what a record is once each is in. */
const HALVES = [
  { queue: 'y_true', sender: 'truths', body: (r: EmittedRecord): unknown => r.target, becomes: 'halfSent' },
  { queue: 'features', sender: 'features', body: (r: EmittedRecord): unknown => r.features, becomes: 'emitted' },
] as const;

/**
 * Sends records a batch at a time, each batch's true answers first and its feature
 * vectors only once those are in: a record is then either wholly sent, not sent at
 * all, or (when the second send fails) half-sent, and every id is accounted for in
 * exactly one of the three lists. No batch starts after the deadline, so a run on
 * slow queues returns what it did within its timeout instead of being cut off
 * mid-send. A failed batch stops the run: the queues are in trouble.
 */
export async function emitRecords(
  records: readonly EmittedRecord[],
  send: EmissionSenders,
  options: EmissionOptions,
): Promise<EmissionOutcome> {
  const now = options.now ?? Date.now;
  const batches: EmittedRecord[][] = [];
  const perBatch = options.recordsPerBatch ?? RECORDS_PER_BATCH;
  for (let i = 0; i < records.length; i += perBatch) batches.push(records.slice(i, i + perBatch));
  const state = new Map<string, 'emitted' | 'halfSent'>();
  let reason: string | undefined;
  let next = 0;

  /** Sends one half of a batch; on failure records why the run stops and returns false. */
  const sent = async (queue: string, sendBatch: SendBatch, bodies: readonly unknown[]): Promise<boolean> => {
    try {
      await sendBatch(bodies);
      return true;
    } catch (error) {
      reason ??= `sending to ${queue} failed: ${(error as Error).message}`;
      return false;
    }
  };
  const worker = async () => {
    while (reason === undefined && next < batches.length) {
      if (now() > options.deadline) {
        reason = 'the function ran out of time (the queues are slow)';
        return;
      }
      const batch = batches[next++] as EmittedRecord[];
      // True answers first: a record is then whole, unsent, or half-sent, never the other half alone.
      for (const half of HALVES) {
        if (
          !(await sent(
            half.queue,
            send[half.sender],
            batch.map((r) => ({ id: r.id, body: half.body(r), timestamp: r.at })),
          ))
        )
          return;
        for (const record of batch) state.set(record.id, half.becomes);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

  const ids = (wanted: 'emitted' | 'halfSent' | undefined) => records.filter((r) => state.get(r.id) === wanted).map((r) => r.id);
  return {
    emitted: ids('emitted'),
    notSent: ids(undefined),
    halfSent: ids('halfSent'),
    ...(reason === undefined ? {} : { reason }),
  };
}
