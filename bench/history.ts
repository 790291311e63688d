/**
 * Does what a cold start, a minute's append, the chart and the dashboard cost grow
 * with the history behind them? The issue's promise is that they do not ("a monitor
 * for months, not minutes"): here each is measured over histories of 1M and 10M rows
 * (`--history-rows`), side by side in one run, on one emulator of the phase's own.
 *
 * Each history is built with the product's own code, as an upgraded bucket gets it:
 * a one-object metric_log.csv and orphans.csv of before the pieces (historyShape.ts:
 * `features`'s ids at a steady 100 rows a second, both histories ending at the same
 * time), uploaded in parts as they are generated (never a whole log in memory), then
 * found and migrated by the real `maintain` in a child process (migration.ts: the
 * pieces, their ids filed by prediction hour, the books and the error histogram). The
 * build is timed, as setup.
 *
 * Then, `--history-repeats` times, alternating which history goes first, for each
 * history: a minute's segments are written after the log's last line (as `metric`
 * writes them) and, each in a fresh child (historyChild.ts): `maintain`'s first
 * invocation (time, peak RSS, S3 traffic) and `--history-rounds` warm runs each after
 * another minute; `plot`'s first invocation; the dashboard's first load. The figures
 * are the medians, and the report gives each one's ratio, largest history over smallest.
 */

import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListObjectsV2Command,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { LAST_LINE_METADATA, LOGS, type LogSpec } from '../functions/commons/logs/logFiles.js';
import { readLogHeads } from '../functions/commons/logs/logHeads.js';
import { writeSegment } from '../functions/commons/logs/segments.js';
import { assertModel, modelVersion } from '../functions/commons/model/linearModel.js';
import modelArtefact from '../functions/commons/model/model.json';
import { readConfig } from '../functions/commons/platform/config.js';
import { seededRandom } from '../functions/commons/seededRandom.js';
import { BUCKET_KEYS } from '../functions/commons/storage/bucketKeys.js';
import { localSqs } from '../infra/local/cloud/localClients.js';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { lastJsonLine, runChild } from './child.js';
import type { Cleanup } from './cleanup.js';
import { withEmulator } from './emulator.js';
import { bundleHandlers } from './handlerBundles.js';
import type { ChildReport, Role } from './historyChild.js';
import {
  chunks,
  HISTORY_ROWS_PER_SECOND,
  type HistoryShape,
  historyLines,
  historyShape,
  MINUTE_ROWS,
  minuteSegments,
  orphanLines,
  SEGMENT_ROWS,
} from './historyShape.js';
import type { Traffic } from './httpTraffic.js';
import { median } from './stats.js';

const CHILD = join(PROJECT_DIR, 'bench/historyChild.ts');
/** Rows per uploaded part of a one-object log: ~58 MB, above S3's 5 MiB part minimum. */
const ROWS_PER_PART = 800_000;

export interface HistoryOptions {
  /** The histories' sizes, ascending: the ratios are the last's over the first's. */
  readonly rows: readonly number[];
  readonly repeats: number;
  /** Warm maintain runs, each after a minute's segments, per maintain child. */
  readonly rounds: number;
  /** One orphaned half per this many rows in orphans.csv (0: none). */
  readonly rowsPerOrphan: number;
  readonly cleanup: Cleanup;
  readonly say: (line: string) => void;
  readonly onChild: (stop: () => void) => void;
  readonly onEmulator?: (stop: () => Promise<void>) => void;
}

/** How a history was built (setup, not a measured figure) and what the bucket held then. */
export interface HistoryBuild {
  readonly rows: number;
  readonly orphans: number;
  readonly spanHours: number;
  /** The one-object logs as uploaded. */
  readonly logBytes: number;
  readonly orphanLogBytes: number;
  /** Generating and uploading them, and the real maintain migrating them (one run). */
  readonly uploadS: number;
  readonly migrateS: number;
  readonly migratePeakRssMb: number;
  readonly bucket: BucketInventory;
}

export interface BucketInventory {
  readonly pieces: number;
  readonly pieceBytes: number;
  /** The newest metric_log piece, the one a cold start opens (read whole only under 5 MiB). */
  readonly newestPiece: string | undefined;
  readonly newestPieceBytes: number;
  readonly idIndexObjects: number;
  readonly idIndexBytes: number;
  readonly metricsBookBytes: number;
  readonly errorHistogramBytes: number;
  readonly objects: number;
}

/** One child's figures, as the report keeps them. */
export interface ChildSample {
  readonly firstMs: number;
  readonly loadMs: number;
  readonly processMs: number;
  readonly peakRssMb: number;
  readonly baselineRssMb: number;
  readonly traffic: Traffic;
}

export interface HistoryMeasurement {
  readonly rows: number;
  readonly build: HistoryBuild;
  /** maintain's first invocations, one per repeat. */
  readonly maintain: readonly ChildSample[];
  /** The warm runs after a minute's segments, all rounds of all repeats. */
  readonly appends: readonly { readonly ms: number; readonly traffic: Traffic }[];
  readonly plot: readonly ChildSample[];
  readonly dashboard: readonly ChildSample[];
  /** The bucket after the measurements. */
  readonly after: BucketInventory;
}

export interface HistoryResult {
  readonly rowsPerSecond: number;
  readonly minuteRows: number;
  readonly segmentRows: number;
  readonly repeats: number;
  readonly rounds: number;
  readonly rowsPerOrphan: number;
  /** Both histories end here (epoch ms): the build started then. */
  readonly endedAt: number;
  /** The machine's 1-minute load average as each repeat started (others' work skews every figure). */
  readonly loadAverages: readonly number[];
  readonly histories: readonly HistoryMeasurement[];
}

export async function measureHistory(options: HistoryOptions): Promise<HistoryResult> {
  const { say } = options;
  say("history: bundling maintain, plot and dashboard with serverless.yml's esbuild settings…");
  const bundles = await bundleHandlers(['maintain', 'plot', 'dashboard'], options.cleanup);
  return withEmulator(async (s3, url) => {
    // maintain counts the dead-letter queues for metrics.json each run: they exist, as on AWS.
    const sqs = localSqs(url);
    try {
      for (const queue of readConfig({}).deadLetterQueues) await sqs.send(new CreateQueueCommand({ QueueName: queue }));
    } finally {
      sqs.destroy();
    }
    const child = async (role: Role, bucket: string, extra: readonly (string | number)[] = []): Promise<ChildSample & ChildReport> => {
      const handler = bundles[role === 'build' ? 'maintain' : role] ?? '';
      const args = [
        '--import',
        'tsx',
        CHILD,
        '--role',
        role,
        '--handler',
        handler,
        '--endpoint',
        url,
        '--bucket',
        bucket,
        ...extra.map(String),
      ];
      const { stdout, wallMs } = await runChild(process.execPath, args, options.onChild);
      const report = lastJsonLine<ChildReport>(stdout, ['role', 'firstMs', 'peakRssMb']);
      if (report === undefined) throw new Error(`the history ${role} child printed no result:\n${stdout.slice(-1_000)}`);
      return { ...report, processMs: wallMs };
    };

    const endedAt = Date.now();
    const builds = new Map<number, HistoryBuild>();
    for (const rows of options.rows) {
      const shape = historyShape(rows, endedAt, { rowsPerOrphan: options.rowsPerOrphan });
      const bucket = bucketOf(rows);
      say(`history: ${rows.toLocaleString('en-US')} rows over ${span(shape)}: generating and uploading the one-object logs…`);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      let started = performance.now();
      const { logBytes, orphanLogBytes } = await uploadOneObjectLogs(s3, bucket, shape);
      const uploadS = (performance.now() - started) / 1000;
      say(
        `history: ${rows.toLocaleString('en-US')} rows: ${(logBytes / 1e6).toFixed(0)} MB uploaded in ${uploadS.toFixed(0)} s; maintain migrating it…`,
      );
      started = performance.now();
      const migrated = await child('build', bucket);
      const migrateS = (performance.now() - started) / 1000;
      if (migrated.rows !== rows || migrated.orphans !== shape.orphans) {
        throw new Error(`the migration left ${migrated.rows} rows and ${migrated.orphans} orphans, not ${rows} and ${shape.orphans}`);
      }
      const inventory = await inventoryOf(s3, bucket);
      builds.set(rows, {
        rows,
        orphans: shape.orphans,
        spanHours: spanHours(shape),
        logBytes,
        orphanLogBytes,
        uploadS,
        migrateS,
        migratePeakRssMb: migrated.peakRssMb,
        bucket: inventory,
      });
      say(
        `history: ${rows.toLocaleString('en-US')} rows migrated in ${migrateS.toFixed(0)} s: ${inventory.pieces} pieces, ` +
          `${inventory.idIndexObjects} id index objects, newest piece ${(inventory.newestPieceBytes / 1e6).toFixed(1)} MB`,
      );
    }

    const version = modelVersion(assertModel(modelArtefact));
    const random = seededRandom(7);
    const minutes = new Map<number, number>();
    const loadAverages: number[] = [];
    const samples = new Map(options.rows.map((rows) => [rows, { maintain: [], appends: [], plot: [], dashboard: [] }] as const)) as Map<
      number,
      { maintain: ChildSample[]; appends: { ms: number; traffic: Traffic }[]; plot: ChildSample[]; dashboard: ChildSample[] }
    >;
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      // Alternating which goes first: whatever drifts over the run (the machine's load, the emulator) falls on both.
      const order = repeat % 2 === 0 ? options.rows : [...options.rows].reverse();
      loadAverages.push(loadavg()[0] ?? Number.NaN);
      for (const rows of order) {
        const bucket = bucketOf(rows);
        const minute = minutes.get(rows) ?? 0;
        const heads = await readLogHeads(s3, bucket);
        if (heads === undefined) throw new Error(`s3://${bucket} has no log heads`);
        const segments = minuteSegments({ firstSeq: heads.metric_log.lastSeq + 1, nowMs: Date.now(), minute, model: version, random });
        await Promise.all(segments.map((segment) => writeSegment(s3, bucket, LOGS.metric_log, segment.firstSeq, segment.lines)));
        const maintain = await child('maintain', bucket, ['--rounds', options.rounds, '--minute', minute, '--expected', MINUTE_ROWS]);
        minutes.set(rows, minute + 1 + options.rounds);
        const plot = await child('plot', bucket);
        const dashboard = await child('dashboard', bucket);
        const taken = samples.get(rows);
        if (taken === undefined) throw new Error(`no samples for ${rows}`);
        taken.maintain.push(sample(maintain));
        taken.appends.push(...(maintain.rounds ?? []));
        taken.plot.push(sample(plot));
        taken.dashboard.push(sample(dashboard));
        say(
          `history: ${rows.toLocaleString('en-US')} rows, repeat ${repeat + 1}/${options.repeats}: maintain cold ${maintain.firstMs.toFixed(0)} ms ` +
            `(${maintain.peakRssMb.toFixed(0)} MB), a minute's append ${median((maintain.rounds ?? []).map((round) => round.ms)).toFixed(0)} ms, ` +
            `plot cold ${plot.firstMs.toFixed(0)} ms, dashboard first load ${dashboard.firstMs.toFixed(0)} ms`,
        );
      }
    }
    const histories: HistoryMeasurement[] = [];
    for (const rows of options.rows) {
      const build = builds.get(rows);
      const taken = samples.get(rows);
      if (build === undefined || taken === undefined) throw new Error(`history ${rows}: nothing measured`);
      histories.push({ rows, build, ...taken, after: await inventoryOf(s3, bucketOf(rows)) });
    }
    return {
      rowsPerSecond: HISTORY_ROWS_PER_SECOND,
      minuteRows: MINUTE_ROWS,
      segmentRows: SEGMENT_ROWS,
      repeats: options.repeats,
      rounds: options.rounds,
      rowsPerOrphan: options.rowsPerOrphan,
      endedAt,
      loadAverages,
      histories,
    };
  }, options.onEmulator);
}

const bucketOf = (rows: number) => `history-${rows}`;
const spanHours = (shape: HistoryShape) => (shape.endMs - shape.startMs) / 3_600_000;
const span = (shape: HistoryShape) =>
  spanHours(shape) >= 1 ? `${spanHours(shape).toFixed(1)} h` : `${(spanHours(shape) * 60).toFixed(0)} min`;

function sample(report: ChildReport & { processMs: number }): ChildSample {
  return {
    firstMs: report.firstMs,
    loadMs: report.loadMs,
    processMs: report.processMs,
    peakRssMb: report.peakRssMb,
    baselineRssMb: report.baselineRssMb,
    traffic: report.traffic,
  };
}

/** Both one-object logs of the history, each uploaded in parts as it is generated; their sizes. */
async function uploadOneObjectLogs(
  s3: S3Client,
  bucket: string,
  shape: HistoryShape,
): Promise<{ logBytes: number; orphanLogBytes: number }> {
  const random = seededRandom(shape.rows);
  const upload = (log: (typeof LOGS)[keyof typeof LOGS], count: number, lines: typeof historyLines) =>
    uploadInParts(
      s3,
      bucket,
      log,
      count,
      chunks(count, ROWS_PER_PART).map(
        ({ from, to }) =>
          () =>
            lines(shape, from, to, random),
      ),
    );
  const logBytes = await upload(LOGS.metric_log, shape.rows, historyLines);
  const orphanLogBytes = await upload(LOGS.orphans, shape.orphans, orphanLines);
  return { logBytes, orphanLogBytes };
}

/**
 * A one-object log as `maintain` left it before the pieces: its header, its rows, and
 * its last line number in the object's metadata; written as a multipart upload, a part
 * generated at a time.
 */
async function uploadInParts(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  lastSeq: number,
  parts: readonly (() => string)[],
): Promise<number> {
  const target = { Bucket: bucket, Key: spec.key };
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ ...target, ContentType: 'text/csv', Metadata: { [LAST_LINE_METADATA]: String(lastSeq) } }),
  );
  const generators = parts.length === 0 ? [() => ''] : parts;
  const uploaded: { PartNumber: number; ETag: string | undefined }[] = [];
  let bytes = 0;
  for (const [i, generate] of generators.entries()) {
    const body = Buffer.from(`${i === 0 ? `${spec.header}\n` : ''}${generate()}`);
    bytes += body.length;
    const { ETag } = await s3.send(new UploadPartCommand({ ...target, UploadId, PartNumber: i + 1, Body: body }));
    uploaded.push({ PartNumber: i + 1, ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: uploaded } }));
  return bytes;
}

/** What the bucket holds: the log's pieces, the id index, the books. */
async function inventoryOf(s3: S3Client, bucket: string): Promise<BucketInventory> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) objects.push({ key: object.Key ?? '', size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const under = (prefix: string) => objects.filter((object) => object.key.startsWith(prefix));
  const pieces = under(LOGS.metric_log.piecePrefix);
  const sizeOf = (key: string) => objects.find((object) => object.key === key)?.size ?? 0;
  const newest = (await readLogHeads(s3, bucket))?.metric_log.key;
  return {
    pieces: pieces.length + under(LOGS.orphans.piecePrefix).length,
    pieceBytes: [...pieces, ...under(LOGS.orphans.piecePrefix)].reduce((sum, object) => sum + object.size, 0),
    newestPiece: newest,
    newestPieceBytes: newest === undefined ? 0 : sizeOf(newest),
    idIndexObjects: under(BUCKET_KEYS.idIndex).length,
    idIndexBytes: under(BUCKET_KEYS.idIndex).reduce((sum, object) => sum + object.size, 0),
    metricsBookBytes: sizeOf(BUCKET_KEYS.metricsBook),
    errorHistogramBytes: sizeOf(BUCKET_KEYS.errorHistogram),
    objects: objects.length,
  };
}
