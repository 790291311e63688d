/**
 * Feeds a scenario's rows (scenarioRows.ts) to a running stack through its HTTP API,
 * paced by the clock: each second `rate` predictions go to `POST /predictions` with
 * their features, the model version and the time, and each one's true answer to
 * `POST /truths` once `labelDelayMs` has passed, as labels come later in production.
 * Requests go through the backfill's sender (ingest/sender.ts): retried on throttling,
 * server and connection errors; a refused row stops the run, since every row is made
 * the same way and the rest would be refused too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestKind } from '../../../functions/commons/ingest/ingestRequest.js';
import type { ScalarMessage } from '../../../functions/commons/messaging/messageSchemas.js';
import type { CsvRow } from '../ingest/csvRows.js';
import { DEFAULT_SEND_OPTIONS, sendRows } from '../ingest/sender.js';
import type { ScenarioRow } from './scenarioRows.js';

export interface FeedOptions {
  readonly url: string;
  /** Predictions a second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly labelDelayMs: number;
  /** The model version the predictions name. */
  readonly model: string;
  /** Starts every id, so two runs never share one. */
  readonly idPrefix: string;
  /** Called about once a minute (`progressEveryMs`). */
  readonly onProgress?: (progress: FeedProgress) => void;
  readonly progressEveryMs?: number;
}

export interface FeedProgress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly labelled: number;
}

/** The API refused a row, or could not be reached: the run stops. */
export class FeedError extends Error {}

interface Pending {
  readonly dueAt: number;
  readonly truth: ScalarMessage;
}

export async function feedScenario(next: () => ScenarioRow, options: FeedOptions): Promise<FeedProgress> {
  const started = Date.now();
  const everyMs = options.progressEveryMs ?? 60_000;
  const pending: Pending[] = [];
  let [sent, labelled, ticks, reported] = [0, 0, 0, 0];
  const progress = () => ({ elapsedMs: Date.now() - started, sent, labelled });
  const reportEachMinute = () => {
    if (Date.now() - started < (reported + 1) * everyMs) return;
    reported = Math.floor((Date.now() - started) / everyMs);
    options.onProgress?.(progress());
  };
  const sendDueTruths = async (now: number) => {
    const due = pending.findIndex((item) => item.dueAt > now);
    const truths = pending.splice(0, due < 0 ? pending.length : due).map((item) => item.truth);
    if (truths.length > 0) labelled += await send('truths', truths, options.url);
  };
  // A tick a second: counted, as a timer may wake a millisecond early by Date.now() and the
  // clock alone would then allow one tick too many.
  const lastTick = Math.ceil(options.durationMs / 1_000);
  while (ticks < lastTick && Date.now() - started < options.durationMs) {
    const now = Date.now();
    const predictions: ScalarMessage[] = [];
    for (let i = 0; i < options.rate; i++) {
      const row = next();
      const id = `${options.idPrefix}-${sent + i}`;
      // The features travel with the prediction (the drift and the estimate read them); typed
      // through a variable, as ScalarMessage names only the fields the queues already check.
      const prediction = { id, body: row.prediction, model: options.model, timestamp: now, features: row.features };
      predictions.push(prediction);
      pending.push({ dueAt: now + options.labelDelayMs, truth: { id, body: row.truth } });
    }
    sent += await send('predictions', predictions, options.url);
    await sendDueTruths(Date.now());
    reportEachMinute();
    ticks++;
    await sleep(Math.max(0, started + ticks * 1_000 - Date.now()));
  }
  // The rest of the labels, each at its time.
  while (pending.length > 0) {
    await sleep(Math.max(0, (pending[0] as Pending).dueAt - Date.now()));
    await sendDueTruths(Date.now());
    reportEachMinute();
  }
  return progress();
}

/** Sends `items` to the route of `kind`; the count sent, or FeedError. */
async function send(kind: IngestKind, items: readonly ScalarMessage[], url: string): Promise<number> {
  const outcome = await sendRows(asRows(items), kind, { ...DEFAULT_SEND_OPTIONS, url });
  const refused = outcome.refused[0];
  if (refused !== undefined) throw new FeedError(`the API refused a row of ${outcome.route}: ${refused.reason}`);
  if (outcome.failed > 0) throw new FeedError(`${outcome.failed} row(s) not sent to ${outcome.route}: ${outcome.failures.join('; ')}`);
  return outcome.sent;
}

async function* asRows(items: readonly ScalarMessage[]): AsyncGenerator<CsvRow> {
  for (const [line, item] of items.entries()) yield { line: line + 1, item };
}
