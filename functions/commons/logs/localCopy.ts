/**
 * The logs in LOGS_DIR (`npm start`'s ./logs): each piece as the bucket has it
 * (logs/metric_log/date=…/hour=…/part-….csv, for DuckDB and for the restore), and the
 * whole log in one file of the log's own columns (logs/metric_log.csv, the seed's
 * format), only ever appended to.
 *
 * The one-file copy is fed from the local pieces: LOGS_DIR/.ml-monitor.copies.json says
 * how far into which piece it has taken rows, and what size and last bytes the copy
 * had then. A copy that does not match (edited, damaged, cut short, its header deleted,
 * written by something else) is `diverged`: the compaction repairs it (compaction.ts)
 * with `check` (its lines that are no rows, or another row for an id the pieces have,
 * go to <log>.rejected.csv; its rows the pieces lack are returned, to join the log)
 * and `rebuild` (the copy written again from the pieces, which then hold every row it
 * had). Reading every piece is the price of a repair, which is rare; the appends of
 * every minute read only what is new.
 */
import { appendFile, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { AppendOnlyLog } from './appendOnlyLog.js';
import { describeFileError, type MirrorSync, replaceFile, setAsideRejected, syncLogMirror } from './localMirror.js';
import { checkLog, idOfLine, type RejectedLine } from './logCheck.js';
import type { LogName, LogSpec } from './logFiles.js';
import { findNewerPieces } from './logHeads.js';
import { partOf } from './pieces.js';

export type CopySync = MirrorSync;

/** How a damaged copy was repaired. */
export interface CopyRepair {
  /** Lines of the copy that are no rows (or hold another row for an id the log has), moved to `rejectedFile`. */
  readonly rejected: readonly RejectedLine[];
  readonly rejectedFile: string;
  /** Rows only the copy held: they join the log (their join time and model are not known). */
  readonly recovered: readonly string[];
  readonly headerRepaired: boolean;
}

/** How far the one-file copy of a log has taken rows from the pieces. */
interface CopyState {
  readonly piece: string;
  /** Bytes of that piece taken: always just after a newline. */
  readonly offset: number;
  /** The copy's size after the last append, and its last bytes (base64): a copy that differs was changed by someone else. */
  readonly bytes: number;
  readonly tail: string;
}

export const COPY_STATE_FILE = '.ml-monitor.copies.json';
const TAIL_BYTES = 64;

export class LocalCopies {
  readonly #logsDir: string;
  readonly #bucket: string;
  readonly #s3: S3Client | undefined;

  constructor(logsDir: string, bucket: string, s3?: S3Client) {
    this.#logsDir = logsDir;
    this.#bucket = bucket;
    this.#s3 = s3;
  }

  /** Brings the local copy of a piece up to the bucket's (a local piece someone changed is set aside and fetched again). */
  async syncPiece(piece: AppendOnlyLog): Promise<MirrorSync> {
    const synced = await syncLogMirror(this.#logsDir, piece.key, piece);
    if (synced !== 'diverged') return synced;
    const path = join(this.#logsDir, piece.key);
    await rename(path, `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await replaceFile(path, await piece.bytes(0, piece.size));
    return 'written';
  }

  /** Whether the one-file copy is as this pipeline left it (its size and last bytes), so the pieces hold every row it has. */
  async isConsistent(spec: LogSpec): Promise<boolean> {
    const state = (await this.#readStates())[spec.name];
    const size = await sizeOf(this.#copyPath(spec));
    return state !== undefined && size === state.bytes && (await endsWith(this.#copyPath(spec), size, state.tail));
  }

  /** The newest piece copied, and what is new in it taken into the one-file copy; `diverged` when that copy is not as it was left. */
  async sync(spec: LogSpec, piece: AppendOnlyLog): Promise<CopySync> {
    await this.syncPiece(piece);
    const state = (await this.#readStates())[spec.name];
    const size = await sizeOf(this.#copyPath(spec));
    if (size === undefined) {
      // None yet (the first run), or deleted: written again whole from the pieces.
      await this.rebuild(spec);
      return 'written';
    }
    if (state === undefined || !(await this.isConsistent(spec))) return 'diverged';
    return (await this.#takeFrom(spec, state, piece.key)) ? 'appended' : 'current';
  }

  /**
   * A copy that diverged, line by line against the pieces: lines that are no rows, or
   * another row for an id the pieces hold, go to the side file; rows the pieces lack
   * are returned (the caller appends them to the log, then calls `rebuild`).
   */
  async check(spec: LogSpec): Promise<CopyRepair> {
    await this.#fetchMissingPieces(spec);
    const checked = checkLog(spec, await readFile(this.#copyPath(spec), 'utf8').catch(() => ''));
    const inPieces = new Map<string, string>();
    for (const key of await this.#localPieces(spec)) {
      for (const line of await this.#rowsOf(spec, key, 0)) inPieces.set(idOfLine(line), line);
    }
    const rejected: RejectedLine[] = [...checked.rejected];
    const recovered: string[] = [];
    checked.rows.forEach((line, i) => {
      const held = inPieces.get(idOfLine(line));
      if (held === line) return;
      if (held === undefined) recovered.push(line);
      else
        rejected.push({ lineNumber: checked.rowLineNumbers[i] ?? 0, text: line, reason: `the log holds another row for this id: ${held}` });
    });
    const rejectedFile = await setAsideRejected(this.#logsDir, spec, rejected, spec.key);
    return { rejected, rejectedFile, recovered, headerRepaired: checked.headerRepaired };
  }

  /** Writes the one-file copy again from every piece (all of them local first), in order, through a temporary file. */
  async rebuild(spec: LogSpec): Promise<void> {
    await this.#fetchMissingPieces(spec);
    const path = this.#copyPath(spec);
    const temporary = `${path}.${process.pid}.rebuild.tmp`;
    await mkdir(this.#logsDir, { recursive: true });
    await writeFile(temporary, `${spec.header}\n`);
    const pieces = await this.#localPieces(spec);
    let last: { piece: string; offset: number } | undefined;
    for (const key of pieces) {
      const { text, end } = await this.#projected(spec, key, 0);
      if (text !== '') await appendFile(temporary, text);
      last = { piece: key, offset: end };
    }
    const file = await open(temporary, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    if (last !== undefined) await this.#saveState(spec, last.piece, last.offset);
  }

  async setAside(spec: LogSpec, rejected: readonly RejectedLine[], source: string): Promise<string> {
    return setAsideRejected(this.#logsDir, spec, rejected, source);
  }

  describeFailure(spec: LogSpec, error: unknown): string {
    return `${this.#copyPath(spec)} not brought up to date: ${describeFileError(error)}`;
  }

  #copyPath(spec: LogSpec): string {
    return join(this.#logsDir, spec.key);
  }

  /** Takes the rows of the pieces from where the copy stopped up to the end of `newest`; true when any was appended. */
  async #takeFrom(spec: LogSpec, state: CopyState, newest: string): Promise<boolean> {
    const pieces = (await this.#localPieces(spec)).filter((key) => key >= state.piece && key <= newest);
    let text = '';
    let last = { piece: state.piece, offset: state.offset };
    for (const key of pieces) {
      const projected = await this.#projected(spec, key, key === state.piece ? state.offset : 0);
      text += projected.text;
      last = { piece: key, offset: projected.end };
    }
    if (text === '' && last.piece === state.piece && last.offset === state.offset) return false;
    if (text !== '') {
      const file = await open(this.#copyPath(spec), 'a');
      try {
        await file.write(text);
        await file.sync();
      } finally {
        await file.close();
      }
    }
    await this.#saveState(spec, last.piece, last.offset);
    return text !== '';
  }

  /** A local piece's rows from byte `from` on (its header skipped), in the log's own columns, and where the complete lines end. */
  async #projected(spec: LogSpec, key: string, from: number): Promise<{ text: string; end: number }> {
    const bytes = await readFile(join(this.#logsDir, key));
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end <= from) return { text: '', end: Math.max(from, end) };
    let start = from;
    if (start === 0) start = bytes.indexOf(0x0a) + 1;
    const columns = spec.header.split(',').length;
    const lines = bytes
      .toString('utf8', start, end)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(',').slice(0, columns).join(','));
    return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, end };
  }

  async #rowsOf(spec: LogSpec, key: string, from: number): Promise<string[]> {
    const { text } = await this.#projected(spec, key, from);
    return text.split('\n').filter((line) => line !== '');
  }

  #localPieces(spec: LogSpec): Promise<string[]> {
    return listLocalPieces(this.#logsDir, spec);
  }

  /** Fetches the pieces the bucket has and LOGS_DIR lacks or holds only part of (a repair must see every row). */
  async #fetchMissingPieces(spec: LogSpec): Promise<void> {
    if (this.#s3 === undefined) return;
    for (const key of await findNewerPieces(this.#s3, this.#bucket, spec, undefined)) {
      const piece = new AppendOnlyLog({ s3: this.#s3, bucket: this.#bucket, key });
      const local = await sizeOf(join(this.#logsDir, key));
      await piece.readNew();
      if (local === undefined || local < piece.size) await this.syncPiece(piece);
    }
  }

  async #readStates(): Promise<Partial<Record<LogName, CopyState>>> {
    try {
      return JSON.parse(await readFile(join(this.#logsDir, COPY_STATE_FILE), 'utf8')) as Partial<Record<LogName, CopyState>>;
    } catch {
      return {};
    }
  }

  async #saveState(spec: LogSpec, piece: string, offset: number): Promise<void> {
    const path = this.#copyPath(spec);
    const size = (await sizeOf(path)) ?? 0;
    const tail = await lastBytes(path, size);
    const states = { ...(await this.#readStates()), [spec.name]: { piece, offset, bytes: size, tail: tail.toString('base64') } };
    await replaceFile(join(this.#logsDir, COPY_STATE_FILE), JSON.stringify(states));
  }
}

/** A log's pieces in LOGS_DIR, in order (keys relative to LOGS_DIR, as in the bucket). */
export async function listLocalPieces(logsDir: string, spec: LogSpec): Promise<string[]> {
  const root = join(logsDir, spec.piecePrefix);
  const keys: string[] = [];
  for (const date of (await readdir(root).catch(() => [])).filter((name) => name.startsWith('date=')).sort()) {
    for (const hour of (await readdir(join(root, date)).catch(() => [])).filter((name) => name.startsWith('hour=')).sort()) {
      for (const name of (await readdir(join(root, date, hour)).catch(() => [])).sort()) {
        const key = `${spec.piecePrefix}${date}/${hour}/${name}`;
        if (partOf(spec, key) !== undefined) keys.push(key);
      }
    }
  }
  return keys;
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (stats) => stats.size,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
}

async function lastBytes(path: string, size: number): Promise<Buffer> {
  const length = Math.min(TAIL_BYTES, size);
  const buffer = Buffer.alloc(length);
  if (length === 0) return buffer;
  const file = await open(path, 'r');
  try {
    await file.read(buffer, 0, length, size - length);
  } finally {
    await file.close();
  }
  return buffer;
}

async function endsWith(path: string, size: number, tail: string): Promise<boolean> {
  return (await lastBytes(path, size)).equals(Buffer.from(tail, 'base64'));
}
