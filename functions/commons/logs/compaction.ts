/**
 * Compaction (run by `maintain`, the logs' one writer): appends the segments that
 * follow each log's last line, in order, to the log's newest piece in the bucket
 * (pieces.ts: one per hour, bounded), records the last line number in its metadata and
 * in state/log-heads.json, and brings the copies in LOGS_DIR up to date (localCopy.ts).
 * Segments already in the log are deleted by the next compaction, after it has read
 * that they are. A segment line that is no row is never appended: it is set aside and
 * reported.
 *
 * It is also exactly-once's last barrier: a line whose id a log already holds (the id
 * index, idIndex.ts, looked up under the line's anchor hour and the recent hours), or
 * that comes twice in one compaction, is dropped and counted as a duplicate. The join
 * table can then forget settled ids (joinTable.ts). Nothing here reads or holds the
 * whole history: the newest piece, the ids of a few hours, the segments.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getText, retryOnConflict } from '../storage/s3Objects.js';
import { AppendOnlyLog } from './appendOnlyLog.js';
import type { Filed, IdIndex } from './idIndex.js';
import type { SegmentJournal } from './journal.js';
import { type CopyRepair, type CopySync, LocalCopies } from './localCopy.js';
import { idOfLine, type RejectedLine } from './logCheck.js';
import { LOGS, type LogName, type LogSpec, linesToText, type RowNotes, splitAnnotated, textToLines } from './logFiles.js';
import { findNewerPieces, type LogHead, type LogHeads, NO_HEAD, readLogHeads, writeLogHeads } from './logHeads.js';
import { APPEND_LIMIT_BYTES, anchorOf, hourOfPiece, partOf, pieceHeader, pieceKey, pieceLine, readPieceLine } from './pieces.js';
import { deleteSegments, listSegments } from './segments.js';

export interface CompactionResult {
  /** Rows in the log after compaction. */
  readonly rows: number;
  /** Lines added to the log by this compaction, with their notes (model, when joined and predicted). */
  readonly added: readonly NotedLine[];
  /** Lines dropped because their id was already in a log (or twice in this compaction). */
  readonly duplicates: number;
  readonly lastSeq: number;
  /** The piece the log's newest rows are in. */
  readonly piece: string | undefined;
  /** What became of the copies in LOGS_DIR. */
  readonly mirror: CopySync;
  /** How a damaged copy in LOGS_DIR was repaired (mirror `repaired`). */
  readonly repair?: CopyRepair;
  /** Why the copies in LOGS_DIR could not be brought up to date (mirror `failed`): they catch up at a later run. */
  readonly mirrorProblem?: string;
  /** Segment lines that are no rows: not appended (set aside beside the copy when there is one). */
  readonly rejected: readonly RejectedLine[];
  /** Lines committed but whose segment is not written yet, which later segments wait for. */
  readonly gap?: LogGap;
}

export interface LogGap {
  readonly fromSeq: number;
  readonly toSeq: number;
  /** How long the first segment after the gap has been waiting. */
  readonly waitingMs: number;
}

export interface NotedLine {
  readonly line: string;
  readonly notes: RowNotes;
}

/** What the join table knows of a half waiting for its partner (joinTable.ts's PendingRecord). */
export interface WaitingHalf {
  readonly predictedAt?: number;
  readonly labelledAt?: number;
  readonly firstSeen: number;
}

/** Where the index files a waiting half's id: its prediction's time, its id's, else its label's or its arrival's. */
function anchorOfWaiting(id: string, half: WaitingHalf): number {
  return anchorOf(id, half, half.labelledAt ?? half.firstSeen);
}

/** A log as this warm container last read or wrote it: its head, and its newest piece. */
interface OpenLog {
  head: LogHead;
  piece: AppendOnlyLog | undefined;
}

export interface CompactorOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logsDir: string | undefined;
  readonly index: IdIndex;
  readonly journal?: SegmentJournal | undefined;
  readonly now?: () => number;
}

/** How much of the newest piece's end `lastRows` reads: far more than a minute's rows at any sensible rate. */
const LAST_ROWS_BYTES = 8 * 1024 * 1024;

export class LogCompactor {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #index: IdIndex;
  readonly #journal: SegmentJournal | undefined;
  readonly #copies: LocalCopies | undefined;
  readonly #now: () => number;
  #heads: LogHeads | undefined;
  #found = false;
  readonly #logs: Record<LogName, OpenLog> = {
    metric_log: { head: NO_HEAD, piece: undefined },
    orphans: { head: NO_HEAD, piece: undefined },
  };

  constructor(options: CompactorOptions) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#index = options.index;
    this.#journal = options.journal;
    this.#copies = options.logsDir === undefined ? undefined : new LocalCopies(options.logsDir, options.bucket, options.s3);
    this.#now = options.now ?? Date.now;
  }

  /** Rows in a log, as last read or written. */
  rows(name: LogName): number {
    return this.#logs[name].head.rows;
  }

  /** Whether the bucket has log heads: false for a new bucket, or one whose logs are of before the pieces (migration.ts). */
  get hasHeads(): boolean {
    return this.#found;
  }

  /**
   * Reads where the logs stand (once per run: a restore may have replaced them), opening
   * each log's newest piece. Cheap when warm and nothing changed.
   */
  async open(): Promise<void> {
    const heads = await readLogHeads(this.#s3, this.#bucket);
    this.#found = heads !== undefined;
    if (heads !== undefined && this.#heads !== undefined && JSON.stringify(heads) === JSON.stringify(this.#heads)) return;
    for (const spec of Object.values(LOGS)) await this.#openLog(spec, heads?.[spec.name] ?? NO_HEAD);
    this.#heads = this.#currentHeads();
  }

  /**
   * Loads what `isSettled` needs to answer for these waiting halves (the join table's
   * pending ids): the id index's hours of their anchors, and the recent ones.
   */
  async prepare(pending: Readonly<Record<string, WaitingHalf>>): Promise<void> {
    await this.#index.prepare(
      Object.entries(pending).map(([id, half]) => anchorOfWaiting(id, half)),
      this.#now(),
    );
  }

  /** Whether a waiting half's id is in either log: it is settled, and the half a duplicate. Needs `prepare` first. */
  readonly isSettled = (id: string, half: WaitingHalf): boolean => this.#index.has(id, anchorOfWaiting(id, half), this.#now());

  compact(spec: LogSpec): Promise<CompactionResult> {
    return retryOnConflict(() => this.#compactOnce(spec), { maxAttempts: 4 });
  }

  /** The last `count` rows of a log, from its newest piece (fewer when that piece holds fewer), with their notes. */
  async lastRows(spec: LogSpec, count: number): Promise<NotedLine[]> {
    const { piece } = this.#logs[spec.name];
    if (piece === undefined || count <= 0) return [];
    const from = Math.max(0, piece.size - LAST_ROWS_BYTES);
    const lines = textToLines((await piece.bytes(from, piece.size)).toString('utf8'));
    // The first line read may be cut (or be the header): only whole rows are taken.
    const rows = lines.slice(1).slice(-count);
    const loggedAt = hourOfPiece(spec, piece.key) ?? this.#now();
    return rows.map((text) => readPieceLine(spec, text, loggedAt)).filter((noted) => spec.problemOf(noted.line) === undefined);
  }

  /** Appends rows only a copy in LOGS_DIR held (a repair): their times and model are not known. */
  async appendRecovered(spec: LogSpec, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const now = this.#now();
    const filed = lines.map((line) => ({ line, id: idOfLine(line), anchor: anchorOf(idOfLine(line), {}, now) }));
    await this.#index.prepare(
      filed.map((entry) => entry.anchor),
      now,
    );
    // An id the log holds already is not added twice, whatever the copy says.
    const fresh = filed.filter((entry) => !this.#index.has(entry.id, entry.anchor, now));
    if (fresh.length === 0) return;
    const noted: NotedLine[] = fresh.map(({ line }) => ({ line, notes: { model: undefined, at: now } }));
    await retryOnConflict(() => this.#append(spec, noted, this.#logs[spec.name].head.lastSeq), { maxAttempts: 4 });
    await this.#index.add(fresh, now, `${spec.name}-recovered`);
    await this.#saveHeads();
  }

  async #openLog(spec: LogSpec, hinted: LogHead): Promise<void> {
    // A run that died after appending but before writing the heads left a newer piece: the pieces are the record.
    const newer = await findNewerPieces(this.#s3, this.#bucket, spec, hinted.key);
    const key = newer.at(-1) ?? hinted.key;
    if (key === undefined) {
      this.#logs[spec.name] = { head: hinted, piece: undefined };
      return;
    }
    const piece = new AppendOnlyLog({ s3: this.#s3, bucket: this.#bucket, key });
    // Read whole only while under the append limit (then it is appended to): a cold start reads a few MiB at most.
    const lines = await piece.open();
    const rowsInPiece = textToLines(lines.toString('utf8')).length;
    // Rows of newer pieces the hint does not count: those of the pieces it does not know.
    const uncounted = newer.length === 0 ? 0 : rowsInPiece + (newer.length > 1 ? await this.#countRows(newer.slice(0, -1)) : 0);
    this.#logs[spec.name] = { head: { key, lastSeq: Math.max(hinted.lastSeq, piece.lastSeq), rows: hinted.rows + uncounted }, piece };
    // The newest piece's ids are filed (again, if a run died before filing them): a restart never forgets them.
    const now = this.#now();
    const filed = textToLines(lines.toString('utf8')).map((text) => {
      const id = idOfLine(text);
      return { id, anchor: anchorOf(id, { predictedAt: predictedAtOfPiece(text, spec) }, now) };
    });
    await this.#index.prepare(
      filed.map((entry) => entry.anchor),
      now,
    );
    const unfiled = filed.filter((entry) => !this.#index.has(entry.id, entry.anchor, now));
    if (unfiled.length > 0) await this.#index.add(unfiled, now, `${spec.name}-refiled`);
  }

  async #countRows(keys: readonly string[]): Promise<number> {
    let rows = 0;
    for (const key of keys) rows += Math.max(0, textToLines((await getText(this.#s3, this.#bucket, key))?.text ?? '').length - 1);
    return rows;
  }

  async #compactOnce(spec: LogSpec): Promise<CompactionResult> {
    await this.open();
    const open = this.#logs[spec.name];
    const lastSeq = open.head.lastSeq;
    const segments = await listSegments(this.#s3, this.#bucket, spec);
    await deleteSegments(
      this.#s3,
      this.#bucket,
      segments.filter((segment) => segment.firstSeq <= lastSeq),
    );

    const candidates: NotedLine[] = [];
    const rejected: RejectedLine[] = [];
    let next = lastSeq + 1;
    let gap: LogGap | undefined;
    for (const segment of segments.filter((s) => s.firstSeq > lastSeq)) {
      // A gap means a batch is committed but its segment not written yet: wait for it.
      if (segment.firstSeq !== next) {
        gap = { fromSeq: next, toSeq: segment.firstSeq - 1, waitingMs: Math.max(0, this.#now() - segment.lastModified) };
        break;
      }
      const lines = textToLines((await getText(this.#s3, this.#bucket, segment.key))?.text ?? '');
      lines.forEach((segmentLine, index) => {
        const noted = splitAnnotated(segmentLine, segment.lastModified);
        const problem = spec.problemOf(noted.line);
        if (problem === undefined) candidates.push(noted);
        else rejected.push({ lineNumber: next + index, text: noted.line, reason: problem });
      });
      next += lines.length;
    }
    const now = this.#now();
    const filed = candidates.map(({ line, notes }) => ({ id: idOfLine(line), anchor: anchorOf(idOfLine(line), notes, notes.at) }));
    await this.#index.prepare(
      filed.map((entry) => entry.anchor),
      now,
    );
    const kept: NotedLine[] = [];
    const keptFiled: Filed[] = [];
    const keptIds = new Set<string>();
    candidates.forEach((noted, i) => {
      const entry = filed[i] as Filed;
      if (keptIds.has(entry.id) || this.#index.has(entry.id, entry.anchor, now)) return;
      keptIds.add(entry.id);
      kept.push(noted);
      keptFiled.push(entry);
    });
    const consumed = next - 1 - lastSeq;
    if (consumed > 0) {
      await this.#append(spec, kept, next - 1);
      // Filed once in the log: a crash before this is made good by the next cold start (#openLog).
      if (keptFiled.length > 0) await this.#index.add(keptFiled, now, `${spec.name}-${lastSeq + 1}`);
      await this.#saveHeads();
    }
    if (rejected.length > 0)
      await this.#copies?.setAside(spec, rejected, `${spec.segmentPrefix} (line numbers are the log's)`).catch(() => undefined);
    const copy = await this.#syncCopies(spec);
    return {
      rows: this.#logs[spec.name].head.rows,
      added: kept,
      duplicates: consumed - kept.length - rejected.length,
      lastSeq: this.#logs[spec.name].head.lastSeq,
      piece: this.#logs[spec.name].head.key,
      rejected,
      ...copy,
      ...(gap ? { gap } : {}),
    };
  }

  /**
   * Appends rows (and moves the line number to `lastSeq`) to the newest piece, or starts
   * the next one: a new hour, or a piece past APPEND_LIMIT_BYTES. Throws ConcurrentWriteError
   * when the piece changed since it was read (the caller reads again).
   */
  async #append(spec: LogSpec, rows: readonly NotedLine[], lastSeq: number): Promise<void> {
    const open = this.#logs[spec.name];
    const now = this.#now();
    let piece = open.piece;
    const current = piece?.key;
    const sameHour = current?.startsWith(pieceKey(spec, now).slice(0, -'part-0000.csv'.length)) === true;
    if (rows.length > 0 && (piece === undefined || !sameHour || piece.size >= APPEND_LIMIT_BYTES)) {
      const part = sameHour && current !== undefined ? (partOf(spec, current) ?? 0) + 1 : 0;
      piece = new AppendOnlyLog({ s3: this.#s3, bucket: this.#bucket, key: pieceKey(spec, now, part) });
      await piece.readNew();
    }
    // Lines that were all duplicates move only the line number, which the heads record (one write, after this).
    if (piece !== undefined && rows.length > 0) {
      const text = (piece.size === 0 ? `${pieceHeader(spec)}\n` : '') + linesToText(rows.map(({ line, notes }) => pieceLine(line, notes)));
      await piece.append(text, lastSeq);
    }
    this.#logs[spec.name] = { head: { key: piece?.key, lastSeq, rows: open.head.rows + rows.length }, piece };
  }

  async #saveHeads(): Promise<void> {
    this.#heads = this.#currentHeads();
    await writeLogHeads(this.#s3, this.#bucket, this.#heads);
    this.#found = true;
  }

  #currentHeads(): LogHeads {
    return { metric_log: this.#logs.metric_log.head, orphans: this.#logs.orphans.head };
  }

  /**
   * Brings the copies in LOGS_DIR up to the newest piece, and the journal down to what
   * they hold. A file-system failure (a read-only or full disk) is reported, not thrown:
   * the bucket has the rows, and the copies catch up at a later run. A damaged copy is
   * repaired: its rows the pieces lack join the log first.
   */
  async #syncCopies(spec: LogSpec): Promise<Pick<CompactionResult, 'mirror' | 'repair' | 'mirrorProblem'>> {
    const copies = this.#copies;
    const { piece, head } = this.#logs[spec.name];
    if (copies === undefined) return { mirror: 'off' };
    if (piece === undefined || head.key === undefined) return { mirror: 'current' };
    try {
      let mirror = await copies.sync(spec, piece);
      let repair: CopyRepair | undefined;
      if (mirror === 'diverged') {
        repair = await copies.check(spec);
        await this.appendRecovered(spec, repair.recovered);
        const { piece: grown } = this.#logs[spec.name];
        if (grown !== undefined) await copies.syncPiece(grown);
        await copies.rebuild(spec);
        mirror = 'repaired';
      }
      await this.#journal?.removeThrough(spec, head.lastSeq);
      return repair === undefined ? { mirror } : { mirror, repair };
    } catch (error) {
      return { mirror: 'failed', mirrorProblem: copies.describeFailure(spec, error) };
    }
  }
}

/** The prediction time a piece line holds (its next-to-last column), or undefined. */
function predictedAtOfPiece(text: string, spec: LogSpec): number | undefined {
  const fields = text.split(',');
  const predicted = fields[spec.header.split(',').length + 1];
  const ms = predicted === undefined || predicted === '' ? Number.NaN : Date.parse(predicted);
  return Number.isNaN(ms) ? undefined : ms;
}
