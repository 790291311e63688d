/**
 * The api phase: the HTTP ingestion API under load. The pipeline phase's stack (its
 * startPipelineStack, on the same settings: the shipped defaults unless flags say
 * otherwise) against the recording proxy in front of moto, and a second recording
 * proxy in front of serverless-offline's HTTP port, so the API's own requests are
 * counted there as SQS and S3 are at the first. N records go in as truths and
 * predictions (with a model version) through infra/tools/ingest/sender.ts, as
 * `npm run ingest` sends a file: batches of 500, a few requests in flight; the two
 * streams run side by side, as a live model's would. The bench follows every id to its
 * durable row (maintain invoked as its schedule would), then has maintain compact the
 * log and checks metric_log.csv holds each id once.
 *
 * A record is sent when both its halves are: its latency runs from the later of the
 * two being taken into a request to its row becoming durable.
 */
import type { IngestKind } from '../functions/commons/ingest/ingestRequest.js';
import { newRunId, recordId } from '../functions/commons/messaging/recordIds.js';
import { portOf, portTaken } from '../infra/local/cloud/net.js';
import { waitFor } from '../infra/local/toolbox/retry.js';
import type { CsvRow } from '../infra/tools/ingest/csvRows.js';
import { DEFAULT_SEND_OPTIONS, type FileOutcome, sendRows } from '../infra/tools/ingest/sender.js';
import type { PipelineSettings } from './args.js';
import {
  byFunctionKey,
  type FollowedRun,
  type PipelineContext,
  RowClock,
  sampleQueueDepths,
  sendAndFollow,
  startPipelineStack,
  watchProgress,
} from './pipeline.js';
import { type OperationStats, RecordingProxy } from './recordingProxy.js';
import { latencyPercentiles } from './stats.js';

/** How long serverless-offline may take to open its HTTP port after its Lambda endpoint. */
const HTTP_PORT_TIMEOUT_MS = 60_000;

/** The model version the bench's predictions carry. */
export const BENCH_MODEL = 'bench-v1';

/**
 * FollowedRun's figures: wallS and recordsPerS from the first record taken into a
 * request to the last row durable; latencyMs from each record's send (its later half)
 * to its row; requestsByOperation at the proxy in front of moto (ingest's, metric's
 * and maintain's).
 */
export interface ApiResult extends FollowedRun {
  /** First record taken → the last request answered (both streams). */
  readonly sendS: number;
  readonly sendRecordsPerS: number;
  /** The API's requests by route (`POST /truths`), counted at the proxy in front of its port, retries included. */
  readonly httpRequestsByRoute: Readonly<Record<string, OperationStats>>;
  /** Items each stream's requests had accepted (202), refused (400 with reasons) and not sent. */
  readonly sent: Readonly<Record<IngestKind, { readonly sent: number; readonly refused: number; readonly failed: number }>>;
}

/** N ids in the pipeline's format (so the proxy reads them out of segment writes): a fresh run part every 10,000. */
export function benchIds(records: number, now = Date.now()): string[] {
  const ids: string[] = [];
  let run = newRunId();
  for (let i = 0; i < records; i++) {
    if (i > 0 && i % 10_000 === 0) run = newRunId();
    ids.push(recordId(now, run, i % 10_000));
  }
  return ids;
}

/** A record's true value and prediction: deterministic, spread over the diabetes target's range. */
export function benchValues(index: number): { truth: number; prediction: number } {
  const truth = 25 + ((index * 37) % 322);
  return { truth, prediction: truth + ((index % 41) - 20) };
}

/** The stream's rows, each id's take time noted in `taken` as the sender pulls it into a request. */
async function* rowsOf(kind: IngestKind, ids: readonly string[], taken: Map<string, number>): AsyncGenerator<CsvRow> {
  for (const [index, id] of ids.entries()) {
    const { truth, prediction } = benchValues(index);
    taken.set(id, Date.now());
    yield {
      line: index + 2,
      item: kind === 'truths' ? { id, body: truth } : { id, body: prediction, model: BENCH_MODEL },
    };
  }
}

function outcomeCounts(outcome: FileOutcome) {
  return { sent: outcome.sent, refused: outcome.refused.length, failed: outcome.failed };
}

/** Why the streams did not deliver every item, if they did not. */
function sendFailure(outcomes: Readonly<Record<IngestKind, FileOutcome>>, records: number): string | undefined {
  const problems = Object.entries(outcomes).flatMap(([kind, outcome]) => {
    if (outcome.sent === records) return [];
    const reasons = [...outcome.refused.slice(0, 3).map((refusal) => refusal.reason), ...outcome.failures.slice(0, 3)];
    return [`${kind}: ${outcome.sent} of ${records} accepted (${reasons.join('; ') || 'no reason given'})`];
  });
  return problems.length === 0 ? undefined : `the API did not accept every item: ${problems.join('; ')}`;
}

export async function runApi(context: PipelineContext, settings: PipelineSettings & { readonly apiRecords: number }): Promise<ApiResult> {
  const { proxy, cleanup, say } = context;
  const rows = new RowClock();
  proxy.onSegmentWrite = rows.onSegmentWrite;

  const stackStarted = performance.now();
  const { httpUrl } = await startPipelineStack(context, settings, settings.recordsPerRun, 'api');
  // The stack is ready once its Lambda endpoint answers; the HTTP port opens a moment later (a TCP connect: no handler runs).
  await waitFor(async () => portTaken(portOf(httpUrl)), {
    timeoutMs: HTTP_PORT_TIMEOUT_MS,
    intervalMs: 100,
    what: `the API's port at ${httpUrl}`,
  });
  const stackStartS = (performance.now() - stackStarted) / 1000;
  const http = await RecordingProxy.start({ target: httpUrl, keepAlive: false });
  cleanup.add('HTTP recording proxy', () => http.close());
  say(`api: stack ready in ${stackStartS.toFixed(1)} s; the API at ${httpUrl}, counted through ${http.url}`);
  const depths = await sampleQueueDepths(context);

  proxy.reset();
  const ids = benchIds(settings.apiRecords);
  const taken: Record<IngestKind, Map<string, number>> = { truths: new Map(), predictions: new Map() };
  /** Each id once both halves are taken, at the later one: what the progress line and the latencies count from. */
  const complete = new Map<string, number>();
  const deadline = Date.now() + settings.timeoutSeconds * 1000;
  const stopProgress = watchProgress({ proxy, depths, rows, say }, complete, ids.length);
  const onProgress = (_: FileOutcome, retrying?: string) => {
    if (retrying !== undefined) say(`api: ${retrying}`);
  };
  let sendS = Number.NaN;
  let outcomes: Record<IngestKind, FileOutcome> | undefined;
  say(
    `api: sending ${ids.length} truths and ${ids.length} predictions (model ${BENCH_MODEL}) in batches of ${DEFAULT_SEND_OPTIONS.batchSize}…`,
  );
  const sendBoth = async (): Promise<string | undefined> => {
    const send = (kind: IngestKind) =>
      sendRows(rowsOf(kind, ids, taken[kind]), kind, { ...DEFAULT_SEND_OPTIONS, url: http.url, onProgress });
    const sendStarted = Date.now();
    // Each id counts as sent once both halves are taken; rows arriving meanwhile are counted as they come.
    const completer = setInterval(() => markComplete(taken, complete), 50);
    try {
      const [truths, predictions] = await Promise.all([send('truths'), send('predictions')]);
      outcomes = { truths, predictions };
    } finally {
      clearInterval(completer);
      markComplete(taken, complete);
    }
    sendS = (Date.now() - sendStarted) / 1000;
    return sendFailure(outcomes, ids.length);
  };
  const { metricLog, failure } = await sendAndFollow(
    { ...context, rows, depths, label: 'api', stopProgress },
    sendBoth,
    complete,
    settings.timeoutSeconds,
    deadline,
  );

  const { latencies, lastSeenAt } = rows.latencies(complete);
  // A Map keeps its insertion order: each stream's first take is its first value.
  const first = (times: ReadonlyMap<string, number>) => times.values().next().value ?? Number.NaN;
  const firstTaken = Math.min(first(taken.truths), first(taken.predictions));
  const wallS = (lastSeenAt - firstTaken) / 1000;
  const httpRequestsByRoute = Object.fromEntries(
    Object.entries(http.counts()).map(([operation, stats]) => [operation.replace(/^unknown:/, ''), stats]),
  );
  return {
    records: ids.length,
    rowsSeen: latencies.length,
    wallS,
    recordsPerS: wallS > 0 ? latencies.length / wallS : Number.NaN,
    sendS,
    sendRecordsPerS: sendS > 0 && outcomes !== undefined ? Math.min(outcomes.truths.sent, outcomes.predictions.sent) / sendS : Number.NaN,
    stackStartS,
    latencyMs: latencyPercentiles(latencies),
    requestsByOperation: proxy.counts(),
    httpRequestsByRoute,
    invocationsByFunction: byFunctionKey(proxy.invocations()),
    sent: {
      truths: outcomes ? outcomeCounts(outcomes.truths) : { sent: 0, refused: 0, failed: ids.length },
      predictions: outcomes ? outcomeCounts(outcomes.predictions) : { sent: 0, refused: 0, failed: ids.length },
    },
    maxQueueDepth: depths.max,
    segmentWrites: rows.writes,
    duplicateSegmentIds: rows.duplicates,
    metricLog,
    problems: proxy.errors(),
    ...(failure === undefined ? {} : { failure }),
  };
}

/** Moves each id both of whose halves are taken into `complete`, at the later take time. */
function markComplete(taken: Readonly<Record<IngestKind, ReadonlyMap<string, number>>>, complete: Map<string, number>): void {
  const [fewer, more] = taken.truths.size <= taken.predictions.size ? [taken.truths, taken.predictions] : [taken.predictions, taken.truths];
  for (const [id, at] of fewer) {
    if (complete.has(id)) continue;
    const other = more.get(id);
    if (other !== undefined) complete.set(id, Math.max(at, other));
  }
}
