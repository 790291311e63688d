/**
 * The storm, measured: RUNS `features` invocations at once, each of RECORDS_PER_RUN
 * records, on the shipped defaults (serverless.yml's batch size, window, pollers,
 * timeouts; only the schedules are off so the bench is the only producer). Reports
 * how long each invocation took to answer and whether it failed, how long the
 * pipeline took to turn every emitted id into one row of metric_log.csv (in S3 and
 * in the logs folder, with `maintain` invoked every few seconds as the schedule would
 * each minute), Lambda time-outs anywhere, and what the dead-letter queues hold. Rows
 * are counted for duplicates once nothing more can land: the source queues empty
 * (nothing visible, in flight or delayed) and a compaction run after that.
 * Every invocation, the event source's included, goes through a recording proxy in
 * front of serverless-offline's Lambda API, which counts failures and time-outs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOGS } from '../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../functions/commons/logs/rowFormat.js';
import { deadLetterQueueOf } from '../functions/commons/messaging/sqsLimits.js';
import { localS3, localSqs } from '../infra/local/cloud/localClients.js';
import { unhandledMessages } from '../infra/local/cloud/unhandledMessages.js';
import { freeStackPorts, startStack } from '../infra/local/supervisor.js';
import { bucketLogText } from '../infra/local/toolbox/bucketLog.js';
import { invoke } from '../infra/local/toolbox/invoke.js';
import { BUCKET, functionName, PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { sleep, waitFor } from '../infra/local/toolbox/retry.js';
import type { Cleanup } from './cleanup.js';
import { INVOKE_VIA, RecordingProxy } from './recordingProxy.js';
import { median, round } from './stats.js';

export interface BurstResult {
  readonly runs: number;
  readonly records_per_run: number;
  readonly records_emitted: number;
  /** Records a run reported it could not send (none, or half). */
  readonly records_not_sent: number;
  readonly records_half_sent: number;
  readonly invoke_ms: { readonly p50: number; readonly max: number };
  /** `features` runs that failed or timed out instead of answering with their ids. */
  readonly features_failed: number;
  /** From the first invocation to every emitted id being one row in S3 and the logs folder. */
  readonly drain_s: number | null;
  readonly records_per_s: number | null;
  readonly rows_missing: number;
  readonly rows_duplicated: number;
  /** Invocations serverless-offline ended with "[504] - Lambda timeout". */
  readonly lambda_timeouts: number;
  /** The same, by function. */
  readonly lambda_timeouts_by_function: Readonly<Record<string, number>>;
  /** Batches that failed whole (time-outs included): they come back after the visibility timeout. */
  readonly batches_failed: number;
  /** What the failed invocations answered, the first 40 (what to read when a figure is off). */
  readonly problems: readonly string[];
  readonly dead_letters: Readonly<Record<string, number>>;
  readonly settings: Readonly<Record<string, string>>;
}

const DEAD_LETTER_QUEUES = ['features', 'y_true', 'y_pred'].map(deadLetterQueueOf);
/** How often maintain is invoked while waiting (the schedule does it each minute). */
const MAINTAIN_EVERY_MS = 5_000;

/** How many rows each id has in a metric_log.csv text. */
function countIds(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of parseMetricLog(text)) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
  return counts;
}

async function deadLetters(sqs: SQSClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of DEAD_LETTER_QUEUES) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const attributes = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...attributes] }));
    counts[name] = attributes.reduce((sum, attribute) => sum + Number(out.Attributes?.[attribute] ?? 0), 0);
  }
  return counts;
}

/** The features runs at once: each one's answer time, and what they emitted, left unsent or half sent. */
async function storm(lambdaEndpoint: string, runs: number, say: (line: string) => void) {
  const answers = await Promise.all(
    Array.from({ length: runs }, async () => {
      const invoked = Date.now();
      const outcome = await invoke(lambdaEndpoint, functionName('features'));
      return { ms: Date.now() - invoked, outcome };
    }),
  );
  const emitted = new Set<string>();
  let [notSent, halfSent, failed] = [0, 0, 0];
  for (const { outcome } of answers) {
    if (!outcome.ok) {
      failed++;
      say(`burst: a features run failed: ${outcome.error}`);
      continue;
    }
    const result = outcome.response as { emitted: string[]; notSent?: string[]; halfSent?: string[] };
    for (const id of result.emitted) emitted.add(id);
    notSent += result.notSent?.length ?? 0;
    halfSent += result.halfSent?.length ?? 0;
  }
  return { emitted, notSent, halfSent, failed, invokeMs: answers.map((answer) => answer.ms) };
}

export async function measureBurst(options: {
  runs: number;
  recordsPerRun: number;
  timeoutSeconds: number;
  cleanup: Cleanup;
  say: (line: string) => void;
}): Promise<BurstResult> {
  const { runs, recordsPerRun, cleanup, say } = options;
  const logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-burst-'));
  cleanup.add('burst logs dir', () => rm(logsDir, { recursive: true, force: true }));
  const buildFolder = `.esbuild-bench-burst-${process.pid}`;
  cleanup.add('burst build folder', () => rm(join(PROJECT_DIR, buildFolder), { recursive: true, force: true }));
  const ports = await freeStackPorts();
  // Only the invocations pass the proxy: the storm's SQS and S3 traffic goes to moto as it would under npm start.
  const proxy = await RecordingProxy.start({ target: ports.awsEndpoint, lambdaTarget: `http://127.0.0.1:${ports.lambdaPort}` });
  cleanup.add('burst proxy', () => proxy.close());
  // Only what the storm is made of, and what keeps the bench the only producer, differ from the shipped defaults.
  const settings = { RECORDS_PER_RUN: String(recordsPerRun), SCHEDULES_ENABLED: 'false', ESBUILD_WORK_FOLDER: buildFolder };
  say(`burst: starting the stack on the shipped defaults (RECORDS_PER_RUN=${recordsPerRun}, schedules off)…`);
  const stack = await startStack({
    ...ports,
    logsDir,
    env: { ...settings, [INVOKE_VIA]: proxy.url },
    onOutput: () => undefined,
    onNotice: (line) => say(`burst: stack: ${line}`),
  });
  cleanup.add('burst stack', () => stack.stop());
  const sqs = localSqs(stack.awsEndpoint);
  const s3 = localS3(stack.awsEndpoint);
  cleanup.add('burst clients', () => {
    sqs.destroy();
    s3.destroy();
  });
  proxy.reset();

  say(`burst: ${runs} features runs of ${recordsPerRun} records at once…`);
  const started = Date.now();
  const { emitted, notSent, halfSent, failed, invokeMs } = await storm(proxy.url, runs, say);
  say(`burst: ${emitted.size} records emitted; answers within ${Math.max(...invokeMs)} ms; waiting for every row…`);

  const deadline = started + options.timeoutSeconds * 1000;
  let drainedAt: number | undefined;
  let rows = new Map<string, number>();
  while (drainedAt === undefined && Date.now() < deadline) {
    await invoke(proxy.url, functionName('maintain'));
    rows = countIds(await bucketLogText(s3, BUCKET));
    const inLogs = countIds(await readFile(join(logsDir, LOGS.metric_log.key), 'utf8').catch(() => ''));
    if ([...emitted].every((id) => rows.has(id) && inLogs.has(id))) drainedAt = Date.now();
    else {
      say(
        `burst: ${[...emitted].filter((id) => rows.has(id)).length} of ${emitted.size} rows after ${Math.round((Date.now() - started) / 1000)} s`,
      );
      await sleep(MAINTAIN_EVERY_MS);
    }
  }
  const drainS = drainedAt === undefined ? null : round((drainedAt - started) / 1000, 1);
  if (drainedAt !== undefined) {
    // Every id a row; now nothing more may land: a redelivery (after a time-out, say) would add its second row by then.
    const settled = await waitFor(async () => (await unhandledMessages(sqs)) === 0, {
      what: 'every message of features, y_pred and y_true handled',
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 1_000,
    }).catch(() => false);
    if (!settled) say('burst: messages still unhandled at the time-out: duplicates counted as the log stands');
    await invoke(proxy.url, functionName('maintain'));
    rows = countIds(await bucketLogText(s3, BUCKET));
  }
  const invocations = Object.entries(proxy.invocations()).map(([name, stats]) => [name.replace(functionName(''), ''), stats] as const);
  const timeouts = Object.fromEntries(invocations.filter(([, stats]) => stats.timeouts > 0).map(([name, stats]) => [name, stats.timeouts]));
  const result: BurstResult = {
    runs,
    records_per_run: recordsPerRun,
    records_emitted: emitted.size,
    records_not_sent: notSent,
    records_half_sent: halfSent,
    invoke_ms: { p50: Math.round(median(invokeMs)), max: Math.max(...invokeMs) },
    features_failed: failed,
    drain_s: drainS,
    records_per_s: drainS === null ? null : round(emitted.size / drainS, 1),
    rows_missing: [...emitted].filter((id) => !rows.has(id)).length,
    rows_duplicated: [...rows.values()].filter((count) => count > 1).length,
    lambda_timeouts: Object.values(timeouts).reduce((sum, count) => sum + count, 0),
    lambda_timeouts_by_function: timeouts,
    batches_failed: invocations.reduce((sum, [, stats]) => sum + stats.failedBatches, 0),
    problems: proxy.errors().slice(0, 40),
    dead_letters: await deadLetters(sqs),
    settings,
  };
  say(
    drainS === null
      ? `burst: NOT drained within ${options.timeoutSeconds} s (${result.rows_missing} ids without a row)`
      : `burst: ${emitted.size} records drained in ${drainS} s (${result.records_per_s}/s), ` +
          `${result.lambda_timeouts} Lambda time-outs, dead letters ${JSON.stringify(result.dead_letters)}`,
  );
  return result;
}
