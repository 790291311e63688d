/**
 * maintain (scheduled, each minute): the logs' upkeep, and their one writer. Drops
 * pending halves of ids already in a log (late duplicates), orphans halves whose
 * partner did not come within ORPHAN_TTL_SECONDS (so they leave the join table even
 * when no message comes), writes the segment of any committed lines a crashed
 * `metric` run left unwritten, appends the segments to metric_log.csv and orphans.csv
 * (S3 and LOGS_DIR, where the copy is only ever appended to), dropping any line whose
 * id a log already holds, and publishes metrics.json from what it appended. With each
 * metrics update it judges the alert rules (alerts.json; a rule that starts or stops
 * firing is published once to the alerts topic) and, on AWS, puts the figures in
 * CloudWatch (embedded metric format).
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { AlertKeeper } from './commons/alerts/alertKeeper.js';
import { cloudWatchPublisher } from './commons/alerts/cloudWatchMetrics.js';
import { assertModelReference } from './commons/drift/modelReference.js';
import { ReferenceStore } from './commons/drift/referenceStore.js';
import { JoinTableStore } from './commons/join/joinTableStore.js';
import { type CompactionResult, LogCompactor } from './commons/logs/compaction.js';
import { IdIndex } from './commons/logs/idIndex.js';
import { journalIn } from './commons/logs/journal.js';
import { describeRejected } from './commons/logs/logCheck.js';
import { LOGS, type LogSpec } from './commons/logs/logFiles.js';
import { writeLogHeads } from './commons/logs/logHeads.js';
import { migrateOneObjectLogs, oneObjectLogsToMigrate } from './commons/logs/migration.js';
import { countMessages } from './commons/messaging/queues.js';
import { MetricsPublisher } from './commons/metrics/metricsPublisher.js';
import builtInReference from './commons/model/reference.json';
import { createLambdaClient, createS3Client, createSnsClient, createSqsClient } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';

const config = readConfig();
const logger = createLogger('maintain');
const s3 = createS3Client(config, logger);
const sqs = createSqsClient(config, logger);
const lambda = createLambdaClient(config);
const journal = journalIn(config.logsDir, logger);
const store = new JoinTableStore({ s3, bucket: config.bucket, orphanTtlMs: config.orphanTtlMs, journal });
const index = new IdIndex({ s3, bucket: config.bucket });
const compactor = new LogCompactor({ s3, bucket: config.bucket, logsDir: config.logsDir, journal, index });
const warn = (message: string, details?: Record<string, unknown>) => logger.warn(message, { ...details });
const publisher = new MetricsPublisher({
  s3,
  bucket: config.bucket,
  logsDir: config.logsDir,
  warn,
  // The built-in model's reference is bundled; a user's versions' are read from the bucket.
  references: new ReferenceStore({ s3, bucket: config.bucket, builtIn: assertModelReference(builtInReference), warn }),
  drift: { ...config.drift, windowMinutes: config.alerts.windowMinutes },
  segmentBy: config.segmentBy,
});
const alerts = new AlertKeeper({
  s3,
  sns: createSnsClient(config, logger),
  bucket: config.bucket,
  logsDir: config.logsDir,
  topicArn: config.alertsTopicArn,
  settings: config.alerts,
  logger,
});
const putCloudWatchMetrics = cloudWatchPublisher();

export interface MaintainResult {
  /** Rows in metric_log.csv, and how many this run appended. */
  readonly rows: number;
  readonly rowsAdded: number;
  readonly orphans: number;
  readonly orphansAdded: number;
  /** Halves and lines dropped because their id was already settled: late duplicates. */
  readonly duplicates: number;
  /** Ids still waiting for their other half. */
  readonly pending: number;
  /** What became of metric_log.csv's copy in LOGS_DIR (`off` on AWS). */
  readonly copy: CompactionResult['mirror'];
}

/** Says, on every run while it lasts, what keeps a log from being complete. */
function reportCompaction(spec: LogSpec, result: CompactionResult): void {
  if (result.gap) {
    const { fromSeq, toSeq, waitingMs } = result.gap;
    logger.warn(`${spec.key} waits for lines ${fromSeq}–${toSeq}: committed, but their segment is not written yet`, {
      fromSeq,
      toSeq,
      waitingSeconds: Math.round(waitingMs / 1000),
    });
  }
  if (result.rejected.length > 0) {
    logger.error(`${spec.key}: ${result.rejected.length} segment line(s) are no rows and were not appended`, {
      lines: describeRejected(result.rejected),
      ...(config.logsDir === undefined ? { texts: result.rejected.map((line) => line.text).join(' | ') } : { movedTo: config.logsDir }),
    });
  }
  if (result.mirrorProblem !== undefined) logger.error(result.mirrorProblem);
  if (result.repair !== undefined) {
    const { rejected, rejectedFile, recovered, headerRepaired } = result.repair;
    const what = [
      rejected.length > 0
        ? `${rejected.length.toLocaleString('en-US')} line(s) moved aside to ${rejectedFile} (${describeRejected(rejected)})`
        : '',
      recovered.length > 0 ? `${recovered.length.toLocaleString('en-US')} row(s) only it held appended to the log` : '',
      headerRepaired ? 'its header put back' : '',
    ].filter((part) => part !== '');
    logger.warn(
      `${config.logsDir}/${spec.key} was not a copy of s3://${config.bucket}/${spec.key} any more and is repaired: ` +
        `${what.length > 0 ? `${what.join('; ')}; ` : ''}it holds the log's ${result.rows.toLocaleString('en-US')} rows again`,
    );
  }
}

/**
 * Where the logs stand, and the books; says so when the books are not those of the logs
 * (lost, or older). False while a log of before the pieces is being migrated: the run
 * then only migrates (segments wait, durable, for the runs after).
 */
async function readLogs(deadline: number): Promise<boolean> {
  await publisher.load();
  await compactor.open();
  if (!compactor.hasHeads && (await oneObjectLogsToMigrate(s3, config.bucket))) return await migrate(deadline);
  for (const spec of Object.values(LOGS)) {
    const behind = compactor.rows(spec.name) - publisher.rowsOf(spec.name);
    if (behind <= 0) continue;
    // A run that died between appending and storing the books: its rows end the newest piece.
    const last = await compactor.lastRows(spec, behind);
    publisher.added(spec.name, last);
    if (last.length < behind) {
      logger.warn(
        `metrics.json's books lack ${behind - last.length} of ${spec.key}'s ${compactor.rows(spec.name)} rows (their state was lost): they count from here on`,
      );
      publisher.acknowledgeRows(spec.name, compactor.rows(spec.name));
    }
  }
  return true;
}

/** Migrates the one-object logs a range at a time; true once done (the heads are written, and the logs go on). */
async function migrate(deadline: number): Promise<boolean> {
  const progress = await migrateOneObjectLogs(
    s3,
    config.bucket,
    index,
    { rows: (name, lines) => publisher.recovered(name, lines) },
    Date.now(),
    deadline,
  );
  const parts = Object.values(progress);
  for (const { log, rejected } of parts) {
    if (rejected.length > 0)
      logger.error(`${log}.csv: ${rejected.length} line(s) are no rows and were not migrated`, { lines: describeRejected(rejected) });
  }
  const done = parts.every((part) => part.done);
  const said = parts.map(
    (part) => `${part.rows.toLocaleString('en-US')} rows of ${part.log}.csv (${Math.round((100 * part.bytes) / Math.max(1, part.size))}%)`,
  );
  if (!done) {
    logger.info(`Migrating s3://${config.bucket}/ one-object logs into pieces: ${said.join(', ')} so far; going on at the next run`);
    await publisher.publish(Date.now(), { pending: 0, pendingPredictions: 0, deadLetters: null });
    return false;
  }
  await writeLogHeads(s3, config.bucket, { metric_log: progress.metric_log.head, orphans: progress.orphans.head });
  logger.info(
    `Migrated ${said.join(' and ')} into s3://${config.bucket}/${LOGS.metric_log.piecePrefix} and ${LOGS.orphans.piecePrefix} pieces; ` +
      'the old objects are kept as they were (delete them once you no longer need them)',
  );
  await compactor.open();
  return true;
}

/**
 * Has plot draw histogram.json now that it changed, and waits for it (a second or
 * two), so the PNG agrees with metrics.json when this run ends instead of at the next
 * minute. A failure costs nothing but that, in one line: plot's schedule draws it at
 * the latest a minute later. (Not an asynchronous invoke: serverless-offline lets an
 * error of one take its whole process down.)
 */
async function drawChart(): Promise<void> {
  if (config.plotFunction === undefined) return;
  const answer = await lambda.send(new InvokeCommand({ FunctionName: config.plotFunction })).catch((error: unknown) => error as Error);
  const failed = answer instanceof Error ? answer.message : answer.FunctionError;
  if (failed !== undefined)
    logger.warn('plot did not draw the chart: it follows at its schedule', { function: config.plotFunction, error: failed });
}

/** Messages in the dead-letter queues; null (and a warning) when they cannot be counted. */
async function deadLetters(): Promise<number | null> {
  try {
    return await countMessages(sqs, config.deadLetterQueues);
  } catch (error) {
    logger.warn('Dead-letter queues not counted for metrics.json', { queues: config.deadLetterQueues.join(','), error: String(error) });
    return null;
  }
}

export const handler = async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<MaintainResult> => {
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 60_000) / 2;
  if (!(await readLogs(deadline))) {
    return { rows: 0, rowsAdded: 0, orphans: 0, orphansAdded: 0, duplicates: 0, pending: 0, copy: 'current' };
  }
  // The id index's hours the waiting halves are filed under, for isSettled.
  await compactor.prepare(await store.pending());
  await publisher.refreshReferences();
  // Half the time at most: the logs come after. The drift metric added on arrival is taken in the same write.
  const flushed = await store.expireAndFlush(compactor.isSettled, deadline, publisher.driftCountedUpTo);
  publisher.takeDrift(flushed.driftTaken, Date.now());
  for (const { record: _, ...orphan } of flushed.orphans) logger.warn('Half orphaned', orphan);
  // metric_log first: an orphan whose id completed in the same minute is then known, and dropped.
  const metricLog = await compactor.compact(LOGS.metric_log);
  reportCompaction(LOGS.metric_log, metricLog);
  publisher.added('metric_log', metricLog.added);
  publisher.recovered('metric_log', metricLog.repair?.recovered ?? []);
  const orphanLog = await compactor.compact(LOGS.orphans);
  reportCompaction(LOGS.orphans, orphanLog);
  publisher.added('orphans', orphanLog.added);
  publisher.recovered('orphans', orphanLog.repair?.recovered ?? []);
  // Halves of ids these compactions logged, come again meanwhile, need not wait a minute.
  const dropped = await store.dropSettled(compactor.isSettled);
  const now = Date.now();
  const { metrics, drift, histogramChanged } = await publisher.publish(
    now,
    { pending: dropped.pending, pendingPredictions: dropped.pendingPredictions, deadLetters: await deadLetters() },
    dropped.waiting,
  );
  if (histogramChanged) await drawChart();
  const alerted = await alerts.update({ ...metrics, drift }, now);
  putCloudWatchMetrics?.({ metrics, settings: config.alerts, firing: alerted.document.firing.length, now });
  const result = {
    rows: metricLog.rows,
    rowsAdded: metricLog.added.length,
    orphans: orphanLog.rows,
    orphansAdded: orphanLog.added.length,
    duplicates: flushed.duplicates + metricLog.duplicates + orphanLog.duplicates + dropped.duplicates,
    pending: dropped.pending,
    copy: metricLog.mirror,
  };
  if (result.rowsAdded > 0 || result.orphansAdded > 0 || result.duplicates > 0) {
    const { copy: _, ...figures } = result;
    logger.info('Logs compacted', figures);
  }
  return result;
};
