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
import { ErrorHistogram, readStoredHistogram } from '../chart/errorHistogram.js';
import { type HistogramDocument, histogramDocument } from '../dashboard/histogramDocument.js';
import type { NotedLine } from '../logs/compaction.js';
import { writeMirror } from '../logs/localMirror.js';
import type { LogName } from '../logs/logFiles.js';
import { checkMetricLine } from '../logs/rowFormat.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import { MetricsBook, type MetricsDocument, readStoredBook, type Surroundings } from './metricsBook.js';

/** The bins of the histogram: plt.hist(x, bins=20), as the seed drew it. */
export const HISTOGRAM_BINS = 20;

export interface Published {
  readonly metrics: MetricsDocument;
  readonly histogram: HistogramDocument;
  /** Whether histogram.json changed in this run (the chart is then drawn again). */
  readonly histogramChanged: boolean;
}

export class MetricsPublisher {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  readonly #warn: (message: string, details?: Record<string, unknown>) => void;
  #book: MetricsBook | undefined;
  #errors: ErrorHistogram | undefined;
  #booksChanged = false;
  #published = '';
  #histogramPublished = '';

  constructor(options: {
    s3: S3Client;
    bucket: string;
    logsDir: string | undefined;
    /** Where a line that is no row, or a copy LOGS_DIR refused, is reported. */
    warn?: (message: string, details?: Record<string, unknown>) => void;
  }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#logsDir = options.logsDir;
    this.#warn = options.warn ?? (() => undefined);
  }

  /** Loads the stored books (once per cold start); a missing or unreadable one starts empty. */
  async load(): Promise<void> {
    if (this.#book !== undefined) return;
    const [book, errors] = await Promise.all([
      getText(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook),
      getText(this.#s3, this.#bucket, BUCKET_KEYS.errorHistogram),
    ]);
    this.#book = new MetricsBook(book === undefined ? undefined : readStoredBook(JSON.parse(book.text)));
    this.#errors = new ErrorHistogram(errors === undefined ? undefined : readStoredHistogram(JSON.parse(errors.text)));
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

  /** Stores the books and publishes metrics.json and histogram.json when anything in them changed. */
  async publish(now: number, around: Surroundings): Promise<Published> {
    const book = this.#loaded();
    const errors = this.#errors as ErrorHistogram;
    const metrics = book.document(now, around);
    const histogram = histogramDocument(errors.bins(HISTOGRAM_BINS), metrics.totals, new Date(now));
    const { updated_at: _, ...content } = metrics;
    const fingerprint = JSON.stringify(content);
    const { updated_at: __, ...bins } = histogram;
    const histogramFingerprint = JSON.stringify(bins);
    const histogramChanged = histogramFingerprint !== this.#histogramPublished;
    if (fingerprint === this.#published && !histogramChanged) return { metrics, histogram, histogramChanged };
    if (this.#booksChanged) {
      await Promise.all([
        putObject(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook, JSON.stringify(book.toStored(now)), 'application/json'),
        putObject(this.#s3, this.#bucket, BUCKET_KEYS.errorHistogram, JSON.stringify(errors.toStored()), 'application/json'),
      ]);
      this.#booksChanged = false;
    }
    await this.#write(BUCKET_KEYS.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
    if (histogramChanged) await this.#write(BUCKET_KEYS.histogram, JSON.stringify(histogram));
    this.#published = fingerprint;
    this.#histogramPublished = histogramFingerprint;
    return { metrics, histogram, histogramChanged };
  }

  async #write(key: string, body: string): Promise<void> {
    await putObject(this.#s3, this.#bucket, key, body, 'application/json');
    const problem = await writeMirror(this.#logsDir, key, body);
    if (problem !== undefined) this.#warn(problem);
  }

  #add(name: LogName, line: string, notes: NotedLine['notes'] | undefined): void {
    const book = this.#loaded();
    if (name === 'orphans') book.addOrphan(line);
    else if (!book.addRow(line, notes, Date.now())) {
      this.#warn('A metric_log.csv line that is no row is not counted in metrics.json', { line: line.slice(0, 200) });
      return;
    } else {
      const row = checkMetricLine(line);
      if (typeof row !== 'string') this.#errors?.add(row.absoluteError);
    }
    this.#booksChanged = true;
  }

  #loaded(): MetricsBook {
    if (this.#book === undefined) throw new Error('MetricsPublisher.load() first');
    return this.#book;
  }
}
