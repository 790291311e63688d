/**
 * Keeps the metrics books in step with the logs and publishes metrics.json (S3 and
 * LOGS_DIR) for `maintain`. The books are loaded once per cold start; rows the books
 * lack (a run died between appending and storing them, or the log was restored) are
 * taken from what the compactor reads of the logs, and counted in the totals only.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { NotedLine } from '../logs/compaction.js';
import { writeMirror } from '../logs/localMirror.js';
import { type LogName, textToLines } from '../logs/logFiles.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import { isStoredBook, MetricsBook, type MetricsDocument, type Surroundings } from './metricsBook.js';

export class MetricsPublisher {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  readonly #warn: (message: string, details?: Record<string, unknown>) => void;
  #book: MetricsBook | undefined;
  readonly #readOnce = new Set<LogName>();
  #booksChanged = false;
  #published = '';

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
    const stored = await getText(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook);
    const parsed = stored === undefined ? undefined : (JSON.parse(stored.text) as unknown);
    this.#book = new MetricsBook(isStoredBook(parsed) ? parsed : undefined);
  }

  /** Starts from empty books (the logs are being read again from the top). */
  startEmpty(): void {
    this.#book = new MetricsBook();
    this.#readOnce.clear();
    this.#booksChanged = true;
  }

  /**
   * What the compactor read of a log: all of it on a cold start (rows past those the
   * books hold are added), or rows another writer appended. False when the log is not
   * the one the books were kept for (replaced, or shorter than they say): the caller
   * then reads both logs again from the top into empty books.
   */
  observe(name: LogName, lines: Buffer, restarted: boolean): boolean {
    const book = this.#loaded();
    const all = textToLines(lines.toString('utf8'));
    const counted = name === 'metric_log' ? book.rows : book.orphanRows;
    const first = !this.#readOnce.has(name);
    this.#readOnce.add(name);
    if (restarted || (first && counted > all.length)) return false;
    for (const line of first ? all.slice(counted) : all) this.#add(name, line, undefined);
    return true;
  }

  /** The lines a compaction appended, with their notes. */
  added(name: LogName, lines: readonly NotedLine[]): void {
    for (const { line, notes } of lines) this.#add(name, line, notes);
  }

  /** Rows appended from a repaired copy in LOGS_DIR: when and by which model they were made is not known (totals only). */
  recovered(name: LogName, lines: readonly string[]): void {
    for (const line of lines) this.#add(name, line, undefined);
  }

  /** Stores the books and publishes metrics.json when anything in it changed; returns the document. */
  async publish(now: number, around: Surroundings): Promise<MetricsDocument> {
    const book = this.#loaded();
    const document = book.document(now, around);
    const { updated_at: _, ...content } = document;
    const fingerprint = JSON.stringify(content);
    if (fingerprint === this.#published) return document;
    if (this.#booksChanged) {
      await putObject(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook, JSON.stringify(book.toStored(now)), 'application/json');
      this.#booksChanged = false;
    }
    const body = `${JSON.stringify(document, null, 2)}\n`;
    await putObject(this.#s3, this.#bucket, BUCKET_KEYS.metrics, body, 'application/json');
    const problem = await writeMirror(this.#logsDir, BUCKET_KEYS.metrics, body);
    if (problem !== undefined) this.#warn(problem);
    this.#published = fingerprint;
    return document;
  }

  #add(name: LogName, line: string, notes: NotedLine['notes'] | undefined): void {
    const book = this.#loaded();
    if (name === 'orphans') book.addOrphan(line);
    else if (!book.addRow(line, notes, Date.now())) {
      this.#warn('A metric_log.csv line that is no row is not counted in metrics.json', { line: line.slice(0, 200) });
      return;
    }
    this.#booksChanged = true;
  }

  #loaded(): MetricsBook {
    if (this.#book === undefined) throw new Error('MetricsPublisher.load() first');
    return this.#book;
  }
}
