/**
 * Keeps the figures' books in step with the logs and publishes them together (S3 and
 * LOGS_DIR) for `maintain`: metrics.json from the metrics books (metricsBook.ts), and
 * histogram.json, the error histogram's bins and counts (chart/errorHistogram.ts) with
 * the same rows, MAE, RMSE and p90, which `plot` draws. Both are published from the
 * same rows in the same run, so they never disagree.
 *
 * The books are loaded once per cold start and take the rows each compaction appends;
 * rows a run appended but died before counting are taken from the end of the newest
 * piece (maintain.ts), never by reading the whole log.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { completeUntil } from '../alerts/alertRules.js';
import { ErrorHistogram, readStoredHistogram } from '../chart/errorHistogram.js';
import { type HistogramDocument, histogramDocument } from '../dashboard/histogramDocument.js';
import { DriftBook, keptDriftMinutes, readStoredDriftBook, referenceTag } from '../drift/driftBook.js';
import { type DriftDocument, type DriftSettings, driftDocument } from '../drift/driftDocument.js';
import { deleteEarlierInputs } from '../drift/predictionInputs.js';
import type { ReferenceStore } from '../drift/referenceStore.js';
import type { DriftTaken, PendingRecord } from '../join/joinTable.js';
import type { NotedLine } from '../logs/compaction.js';
import { writeMirror } from '../logs/localMirror.js';
import type { LogName } from '../logs/logFiles.js';
import { checkMetricLine } from '../logs/rowFormat.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import { MetricsBook, type MetricsDocument, type PeriodSummary, readStoredBook, type Surroundings } from './metricsBook.js';
import type { SegmentRule } from './segments.js';

/** The bins of the histogram: plt.hist(x, bins=20), as the seed drew it. */
export const HISTOGRAM_BINS = 20;

export interface Published {
  readonly metrics: MetricsDocument;
  /** undefined while no model version has a reference. */
  readonly drift: DriftDocument | undefined;
  readonly histogram: HistogramDocument;
  /** Whether histogram.json changed in this run (the chart is then drawn again). */
  readonly histogramChanged: boolean;
}

const MINUTE_MS = 60_000;

/** How drift is judged: the alert window's minutes, the test and threshold (DRIFT_*), the data set's share. */
export interface DriftWindowSettings extends DriftSettings {
  readonly windowMinutes: number;
}

const DEFAULT_DRIFT_WINDOW: DriftWindowSettings = { windowMinutes: 15, share: 0.5 };

/** The estimated MAE over the minutes starting in [from, to): Σ estimated_n · estimated_mae / Σ estimated_n. */
export function windowEstimate(minutes: readonly PeriodSummary[], from: number, to: number): number | null {
  let n = 0;
  let sum = 0;
  for (const minute of minutes) {
    const start = Date.parse(minute.start);
    if (start < from || start >= to || minute.estimated_mae === null) continue;
    n += minute.estimated_n;
    sum += minute.estimated_n * minute.estimated_mae;
  }
  return n === 0 ? null : sum / n;
}

export class MetricsPublisher {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  readonly #warn: (message: string, details?: Record<string, unknown>) => void;
  readonly #references: ReferenceStore | undefined;
  readonly #drift: DriftWindowSettings;
  readonly #segmentBy: readonly SegmentRule[];
  #book: MetricsBook | undefined;
  #errors: ErrorHistogram | undefined;
  #driftBook: DriftBook | undefined;
  #driftPublished = '';
  #booksChanged = false;
  /** The highest number of the drift taken from the join table that the stored drift book counts, and the books in memory. */
  #driftCountedUpTo = 0;
  #driftMergedUpTo = 0;
  #published = '';
  #histogramPublished = '';
  /** SEGMENT_BY's number rules already said to cut no feature of any reference (said once each). */
  readonly #uncutRulesSaid = new Set<string>();

  constructor(options: {
    s3: S3Client;
    bucket: string;
    logsDir: string | undefined;
    /** Where a line that is no row, or a copy LOGS_DIR refused, is reported. */
    warn?: (message: string, details?: Record<string, unknown>) => void;
    /** The versions' references, for the estimated error and drift; undefined: neither is kept. */
    references?: ReferenceStore;
    drift?: DriftWindowSettings;
    /** SEGMENT_BY's rules (metric reads each prediction's segments; a rule no reference can cut is said here). */
    segmentBy?: readonly SegmentRule[];
  }) {
    this.#segmentBy = options.segmentBy ?? [];
    this.#references = options.references;
    this.#drift = options.drift ?? DEFAULT_DRIFT_WINDOW;
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#logsDir = options.logsDir;
    this.#warn = options.warn ?? (() => undefined);
  }

  /** Loads the stored books (once per cold start); a missing or unreadable one starts empty. */
  async load(): Promise<void> {
    if (this.#book !== undefined) return;
    const [book, errors, drift, deleted] = await Promise.all([
      getText(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook),
      getText(this.#s3, this.#bucket, BUCKET_KEYS.errorHistogram),
      getText(this.#s3, this.#bucket, BUCKET_KEYS.driftBook),
      deleteEarlierInputs(this.#s3, this.#bucket),
      this.#references?.refresh(),
    ]);
    if (deleted > 0)
      this.#warn(
        `${deleted} object(s) of predictions' inputs filed by an earlier version were deleted: the predictions they held count without their inputs`,
      );
    this.#book = new MetricsBook(book === undefined ? undefined : readStoredBook(JSON.parse(book.text)));
    this.#errors = new ErrorHistogram(errors === undefined ? undefined : readStoredHistogram(JSON.parse(errors.text)));
    const storedDrift = drift === undefined ? undefined : readStoredDriftBook(JSON.parse(drift.text));
    this.#driftBook = new DriftBook(storedDrift, keptDriftMinutes(this.#drift.windowMinutes));
    this.#driftCountedUpTo = storedDrift?.countedUpTo ?? 0;
    this.#driftMergedUpTo = this.#driftCountedUpTo;
  }

  /** The highest number of the join table's drift that the stored drift book counts (maintain hands it to expireAndFlush). */
  get driftCountedUpTo(): number {
    return this.#driftCountedUpTo;
  }

  /**
   * Merges the drift maintain took from the join table (metric's, of the predictions it
   * recorded) into the drift books, each number once: what the books in memory already
   * hold is passed over. Minutes older than the window `now` judges are left out.
   */
  takeDrift(taken: readonly DriftTaken[], now: number): void {
    const driftBook = this.#driftBook as DriftBook;
    for (const { number, drift } of [...taken].sort((a, b) => a.number - b.number)) {
      if (number <= this.#driftMergedUpTo) continue;
      driftBook.merge(drift, now, (model) => {
        const loaded = this.#references?.get(model);
        return loaded === undefined ? undefined : referenceTag(loaded.reference);
      });
      this.#driftMergedUpTo = number;
      this.#booksChanged = true;
    }
  }

  /** Rows of a log the books count. */
  rowsOf(name: LogName): number {
    const book = this.#loaded();
    return name === 'metric_log' ? book.rows : book.orphanRows;
  }

  /**
   * The books were lost (or are older than the logs): they go on from the log's row
   * count, without the rows they cannot see (reading the whole log again would grow
   * with history).
   */
  acknowledgeRows(name: LogName, rows: number): void {
    const book = this.#loaded();
    if (name === 'metric_log') book.rows = rows;
    else book.orphanRows = rows;
    this.#booksChanged = true;
  }

  /** The lines a compaction appended (or a restore put back), with their notes. */
  added(name: LogName, lines: readonly NotedLine[]): void {
    for (const { line, notes } of lines) this.#add(name, line, notes);
  }

  /** Rows appended from a repaired copy in LOGS_DIR: when and by which model they were made is not known (totals only). */
  recovered(name: LogName, lines: readonly string[]): void {
    for (const line of lines) this.#add(name, line, undefined);
  }

  /** Reads references uploaded or changed since the cold start (maintain, once a run). */
  async refreshReferences(): Promise<void> {
    await this.#references?.refresh();
    this.#sayUncutRules();
  }

  /**
   * Says, once per rule, which of SEGMENT_BY's number rules (`name:k`) no version's
   * reference can cut (no numeric feature of that name): their segments would stay empty
   * without a word, as after a typo in the name.
   */
  #sayUncutRules(): void {
    const references = this.#references?.all() ?? [];
    if (references.length === 0) return;
    for (const rule of this.#segmentBy) {
      if (rule.cuts === undefined || this.#uncutRulesSaid.has(rule.name)) continue;
      if (references.some(({ reference }) => reference.features[rule.feature] !== undefined)) continue;
      this.#uncutRulesSaid.add(rule.name);
      const known = [...new Set(references.flatMap(({ reference }) => Object.keys(reference.features)))].sort();
      this.#warn(
        `SEGMENT_BY ${rule.name}: no model version's reference has a numeric feature "${rule.feature}" to cut, so its segments stay empty`,
        {
          numericFeatures: known.join(','),
        },
      );
    }
  }

  /**
   * Stores the books and publishes metrics.json, histogram.json and drift.json when
   * anything in them changed. `waiting`: the join table's pending records, whose
   * predictions count as unlabelled (with their estimates and segments) in this run's
   * documents only.
   */
  async publish(
    now: number,
    around: Omit<Surroundings, 'waiting'>,
    waiting: Readonly<Record<string, PendingRecord>> = {},
  ): Promise<Published> {
    const book = this.#loaded();
    const errors = this.#errors as ErrorHistogram;
    // Every write of a run is independent of the others, so they go out together: a run's time is its slowest write, not their sum.
    const writes: Promise<void>[] = [];
    const metrics = book.document(now, {
      ...around,
      waiting: Object.values(waiting).flatMap((record) =>
        record.yPred === undefined
          ? []
          : [{ model: record.model, predictedAt: record.predictedAt, estimate: record.estimate, segments: record.segments ?? [] }],
      ),
    });
    const drift = this.#driftDocument(now, metrics);
    if (drift !== undefined) writes.push(this.#publishDrift(drift));
    const histogram = histogramDocument(errors.bins(HISTOGRAM_BINS), metrics.totals, new Date(now));
    const { updated_at: _, ...content } = metrics;
    const fingerprint = JSON.stringify(content);
    const { updated_at: __, ...bins } = histogram;
    const histogramFingerprint = JSON.stringify(bins);
    const histogramChanged = histogramFingerprint !== this.#histogramPublished;
    // Drift taken from the join table stays there until a stored drift book counts it: store it then.
    if (fingerprint === this.#published && !histogramChanged && this.#driftMergedUpTo === this.#driftCountedUpTo) {
      await Promise.all(writes);
      return { metrics, drift, histogram, histogramChanged };
    }
    if (this.#booksChanged) {
      writes.push(
        putObject(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook, JSON.stringify(book.toStored(now)), 'application/json'),
        putObject(this.#s3, this.#bucket, BUCKET_KEYS.errorHistogram, JSON.stringify(errors.toStored()), 'application/json'),
        putObject(
          this.#s3,
          this.#bucket,
          BUCKET_KEYS.driftBook,
          JSON.stringify({ ...(this.#driftBook as DriftBook).toStored(now), countedUpTo: this.#driftMergedUpTo }),
          'application/json',
        ),
      );
    }
    writes.push(this.#write(BUCKET_KEYS.metrics, `${JSON.stringify(metrics, null, 2)}\n`));
    if (histogramChanged) writes.push(this.#write(BUCKET_KEYS.histogram, JSON.stringify(histogram)));
    const mergedUpTo = this.#driftMergedUpTo;
    await Promise.all(writes);
    if (this.#booksChanged) this.#driftCountedUpTo = mergedUpTo;
    this.#booksChanged = false;
    this.#published = fingerprint;
    this.#histogramPublished = histogramFingerprint;
    return { metrics, drift, histogram, histogramChanged };
  }

  /** drift.json over the alert window, for every version with a reference (undefined: none has one). */
  #driftDocument(now: number, metrics: MetricsDocument): DriftDocument | undefined {
    const references = this.#references?.all() ?? [];
    if (references.length === 0) return undefined;
    const to = completeUntil(now);
    const from = to - this.#drift.windowMinutes * MINUTE_MS;
    const driftBook = this.#driftBook as DriftBook;
    return driftDocument(
      now,
      { from, to },
      references.map(({ reference }) => ({
        reference,
        current: driftBook.window(reference, from, to),
        estimatedMae: windowEstimate(metrics.models_minutes[reference.model] ?? [], from, to),
      })),
      this.#drift,
    );
  }

  /** Writes drift.json when its figures changed. */
  async #publishDrift(document: DriftDocument): Promise<void> {
    const { updated_at: _, ...content } = document;
    const fingerprint = JSON.stringify(content);
    if (fingerprint === this.#driftPublished) return;
    await this.#write(BUCKET_KEYS.drift, `${JSON.stringify(document, null, 2)}\n`);
    this.#driftPublished = fingerprint;
  }

  async #write(key: string, body: string): Promise<void> {
    await putObject(this.#s3, this.#bucket, key, body, 'application/json');
    const problem = await writeMirror(this.#logsDir, key, body);
    if (problem !== undefined) this.#warn(problem);
  }

  #add(name: LogName, line: string, notes: NotedLine['notes'] | undefined): void {
    const book = this.#loaded();
    const now = Date.now();
    // What metric read in the prediction's inputs rides in the line's notes (a line without notes counts in the totals only).
    const extras = { estimate: notes?.estimate, segments: notes?.segments ?? [] };
    if (name === 'orphans') {
      book.addOrphan(line, notes, now, extras);
    } else {
      const row = checkMetricLine(line);
      if (typeof row === 'string') {
        this.#warn('A metric_log.csv line that is no row is not counted in metrics.json', { line: line.slice(0, 200) });
        return;
      }
      book.addRow(line, notes, now, extras);
      this.#errors?.add(row.absoluteError);
    }
    this.#booksChanged = true;
  }

  #loaded(): MetricsBook {
    if (this.#book === undefined) throw new Error('MetricsPublisher.load() first');
    return this.#book;
  }
}
