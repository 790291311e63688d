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
import { DriftBook, readStoredDriftBook, type SeenPrediction } from '../drift/driftBook.js';
import { type DriftDocument, type DriftSettings, driftDocument } from '../drift/driftDocument.js';
import type { FeatureValues } from '../drift/modelReference.js';
import { deleteFilings, InputsBook, listFilings, readFilings } from '../drift/predictionInputs.js';
import { estimateError, type ReferenceStore } from '../drift/referenceStore.js';
import type { PendingRecord } from '../join/joinTable.js';
import type { NotedLine } from '../logs/compaction.js';
import { writeMirror } from '../logs/localMirror.js';
import type { LogName } from '../logs/logFiles.js';
import { checkMetricLine, logNumber } from '../logs/rowFormat.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import { MetricsBook, type MetricsDocument, type PeriodSummary, readStoredBook, type Surroundings } from './metricsBook.js';
import { type SegmentRule, segmentsOf } from './segments.js';

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

/** Minutes the drift books keep: the window, the minutes before it is complete, and one to spare. */
export function keptDriftMinutes(windowMinutes: number): number {
  return windowMinutes + 3;
}

/** A line's notes with the inputs the inputs book held for it. */
type Noted = NotedLine['notes'] & { readonly features?: FeatureValues | undefined };

/** A waiting prediction with the inputs the inputs book holds for it. */
type WaitingRecord = PendingRecord & { readonly features?: FeatureValues | undefined };

/** The waiting predictions of one version, as the drift books take them (those without inputs or time left out). */
function seenOf(waiting: readonly WaitingRecord[], model: string): SeenPrediction[] {
  return waiting.flatMap((record) =>
    record.model === model && record.features !== undefined && record.predictedAt !== undefined && record.yPred !== undefined
      ? [{ predictedAt: record.predictedAt, features: record.features, prediction: record.yPred }]
      : [],
  );
}

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
  /** Held in memory only: the filings are its lasting form (predictionInputs.ts), read again at a cold start. */
  readonly #inputs = new InputsBook();
  readonly #inputsKeptMs: number;
  /** Whether this cold start has read the filings yet (the first read also looks for an inputs book stored whole by an earlier version). */
  #filingsRead = false;
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
    /** SEGMENT_BY's rules: every figure is given per segment too. */
    segmentBy?: readonly SegmentRule[];
    /** How long an id's inputs wait for its line to reach a log (the orphans' TTL and a margin). */
    inputsKeptMs?: number;
  }) {
    this.#inputsKeptMs = options.inputsKeptMs ?? 2 * 60 * 60_000;
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
    const [book, errors, drift] = await Promise.all([
      getText(this.#s3, this.#bucket, BUCKET_KEYS.metricsBook),
      getText(this.#s3, this.#bucket, BUCKET_KEYS.errorHistogram),
      getText(this.#s3, this.#bucket, BUCKET_KEYS.driftBook),
      this.#references?.refresh(),
    ]);
    this.#book = new MetricsBook(book === undefined ? undefined : readStoredBook(JSON.parse(book.text)));
    this.#errors = new ErrorHistogram(errors === undefined ? undefined : readStoredHistogram(JSON.parse(errors.text)));
    this.#driftBook = new DriftBook(
      drift === undefined ? undefined : readStoredDriftBook(JSON.parse(drift.text)),
      keptDriftMinutes(this.#drift.windowMinutes),
    );
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

  /**
   * Takes the inputs `metric` filed since the last run into the inputs book (maintain,
   * once a run, after the compaction of metric_log: a line's inputs are filed before
   * the line, so every line appended so far finds its own). The first run of a cold
   * start reads every filing still in the bucket, and an inputs book an earlier version
   * stored whole, if any.
   */
  async takeFiledInputs(): Promise<void> {
    const legacy = this.#filingsRead ? [] : [BUCKET_KEYS.inputsBook];
    const keys = (await listFilings(this.#s3, this.#bucket)).filter((key) => !this.#inputs.has(key));
    const filings = await readFilings(this.#s3, this.#bucket, [...legacy, ...keys]);
    this.#filingsRead = true;
    const unreadable = filings.filter((filing) => filing.inputs === undefined).map((filing) => filing.key);
    if (unreadable.length > 0)
      this.#warn(`${unreadable.length} filing(s) of inputs are not lists of inputs and are left out (deleted)`, {
        keys: unreadable.join(','),
      });
    for (const { key, inputs } of filings) this.#inputs.file(key, inputs ?? []);
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
   * predictions count as unlabelled (with their estimates and inputs) in this run's
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
    const inputs = this.#inputs;
    inputs.expire(now - this.#inputsKeptMs);
    const predictions: WaitingRecord[] = Object.entries(waiting).flatMap(([id, record]) =>
      record.yPred === undefined ? [] : [{ ...record, features: inputs.peek(id) }],
    );
    const metrics = book.document(now, {
      ...around,
      waiting: predictions.map((record) => ({
        model: record.model,
        predictedAt: record.predictedAt,
        estimate: this.#estimate(record.model, record.features, record.yPred as number),
        segments: this.#segmentsOf(record),
      })),
    });
    const drift = this.#driftDocument(now, metrics, predictions);
    if (drift !== undefined) writes.push(this.#publishDrift(drift));
    const histogram = histogramDocument(errors.bins(HISTOGRAM_BINS), metrics.totals, new Date(now));
    const { updated_at: _, ...content } = metrics;
    const fingerprint = JSON.stringify(content);
    const { updated_at: __, ...bins } = histogram;
    const histogramFingerprint = JSON.stringify(bins);
    const histogramChanged = histogramFingerprint !== this.#histogramPublished;
    if (fingerprint === this.#published && !histogramChanged) {
      await Promise.all(writes);
      await this.#deleteSpentFilings();
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
          JSON.stringify((this.#driftBook as DriftBook).toStored(now)),
          'application/json',
        ),
      );
    }
    writes.push(this.#write(BUCKET_KEYS.metrics, `${JSON.stringify(metrics, null, 2)}\n`));
    if (histogramChanged) writes.push(this.#write(BUCKET_KEYS.histogram, JSON.stringify(histogram)));
    await Promise.all(writes);
    this.#booksChanged = false;
    this.#published = fingerprint;
    this.#histogramPublished = histogramFingerprint;
    await this.#deleteSpentFilings();
    return { metrics, drift, histogram, histogramChanged };
  }

  /**
   * Deletes the filings all of whose inputs were taken or expired, once the books that
   * counted them are stored. A run that dies first reads them again at its cold start:
   * their ids' lines are in the logs already, so they are not taken again but expire.
   */
  async #deleteSpentFilings(): Promise<void> {
    const spent = this.#inputs.spent();
    if (spent.length === 0) return;
    await deleteFilings(this.#s3, this.#bucket, spent);
    this.#inputs.deleted(spent);
  }

  /** drift.json over the alert window, for every version with a reference (undefined: none has one). */
  #driftDocument(now: number, metrics: MetricsDocument, waiting: readonly WaitingRecord[]): DriftDocument | undefined {
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
        current: driftBook.window(reference, from, to, seenOf(waiting, reference.model)),
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

  /** The loss model's estimate of a prediction's error; undefined without a reference for its version, or without inputs. */
  #estimate(model: string | undefined, features: FeatureValues | undefined, prediction: number): number | undefined {
    const loaded = this.#references?.get(model);
    return loaded === undefined || features === undefined ? undefined : estimateError(loaded, features, prediction);
  }

  /** A prediction's segments under SEGMENT_BY (numbers cut at its version's reference's quantiles). */
  #segmentsOf(
    notes: { readonly model?: string | undefined; readonly features?: FeatureValues | undefined } | undefined,
  ): [string, string][] {
    if (this.#segmentBy.length === 0) return [];
    return segmentsOf(this.#segmentBy, notes?.features, this.#references?.get(notes?.model)?.reference);
  }

  /** A logged prediction into the drift books, when its version has a reference and it carried its inputs and time. */
  #seen(notes: Noted | undefined, prediction: number): void {
    const loaded = this.#references?.get(notes?.model);
    if (loaded === undefined || notes?.features === undefined || notes.predictedAt === undefined) return;
    this.#driftBook?.add(loaded.reference, { predictedAt: notes.predictedAt, features: notes.features, prediction }, Date.now());
  }

  async #write(key: string, body: string): Promise<void> {
    await putObject(this.#s3, this.#bucket, key, body, 'application/json');
    const problem = await writeMirror(this.#logsDir, key, body);
    if (problem !== undefined) this.#warn(problem);
  }

  #add(name: LogName, line: string, logged: NotedLine['notes'] | undefined): void {
    const book = this.#loaded();
    const now = Date.now();
    // The line's inputs leave the book as the line reaches its log: counted once (a y_true orphan has none).
    const inputs = this.#inputs;
    const id = line.slice(0, line.indexOf(','));
    const isPrediction = name === 'metric_log' || line.split(',')[1] === 'y_pred';
    // A line without notes (a repaired copy's) counts in the totals only: its inputs wait for their expiry.
    const features = isPrediction && logged !== undefined ? inputs.take(id) : undefined;
    const notes = logged === undefined ? undefined : { ...logged, features };
    if (name === 'orphans') {
      const [, half, value] = line.split(',');
      const prediction = half === 'y_pred' ? logNumber(value) : undefined;
      const estimate = prediction === undefined ? undefined : this.#estimate(notes?.model, notes?.features, prediction);
      book.addOrphan(line, notes, now, { estimate, segments: this.#segmentsOf(notes) });
      if (prediction !== undefined) this.#seen(notes, prediction);
    } else {
      const row = checkMetricLine(line);
      if (typeof row === 'string') {
        this.#warn('A metric_log.csv line that is no row is not counted in metrics.json', { line: line.slice(0, 200) });
        return;
      }
      book.addRow(line, notes, now, {
        estimate: this.#estimate(notes?.model, notes?.features, row.yPred),
        segments: this.#segmentsOf(notes),
      });
      this.#errors?.add(row.absoluteError);
      this.#seen(notes, row.yPred);
    }
    this.#booksChanged = true;
  }

  #loaded(): MetricsBook {
    if (this.#book === undefined) throw new Error('MetricsPublisher.load() first');
    return this.#book;
  }
}
