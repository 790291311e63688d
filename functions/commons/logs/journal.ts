/**
 * The local journal of log segments (LOGS_DIR/.journal/<log>/<first line>.csv): a copy
 * of each segment `metric` and `maintain` write, kept until `maintain` has copied its
 * lines into LOGS_DIR's log. The bucket of the embedded emulator lives in memory only:
 * when moto dies, the rows joined since the last compaction die with it unless they
 * are here, and the restore puts them back (restore.ts). On AWS (no LOGS_DIR) there is
 * no journal: S3 keeps the segments.
 *
 * A journal write never fails its caller: S3 is the record, the journal a safety net;
 * a failure is reported through `warn` and the run goes on.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type LogSpec, linesToText } from './logFiles.js';

/** The journal's folder inside LOGS_DIR: hidden, it is the pipeline's, not the user's. */
export const JOURNAL_FOLDER = '.journal';
const SEQ_DIGITS = 12;

export interface JournalEntry {
  readonly firstSeq: number;
  readonly path: string;
}

export class SegmentJournal {
  readonly #root: string;
  readonly #warn: (message: string, error: unknown) => void;

  constructor(logsDir: string, warn: (message: string, error: unknown) => void) {
    this.#root = join(logsDir, JOURNAL_FOLDER);
    this.#warn = warn;
  }

  /** Writes a batch's lines (as its segment holds them) whole, or not at all: a temporary file renamed into place. */
  async write(spec: LogSpec, firstSeq: number, lines: readonly string[]): Promise<void> {
    const folder = join(this.#root, spec.name);
    const target = join(folder, `${String(firstSeq).padStart(SEQ_DIGITS, '0')}.csv`);
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      await mkdir(folder, { recursive: true });
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(linesToText(lines));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    } catch (error) {
      this.#warn(`journal copy of ${spec.key} lines from ${firstSeq} not written (the bucket has them)`, error);
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  /** The log's journal entries, in line order. */
  async list(spec: LogSpec): Promise<JournalEntry[]> {
    const folder = join(this.#root, spec.name);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return names
      .filter((name) => /^\d+\.csv$/.test(name))
      .map((name) => ({ firstSeq: Number(name.slice(0, -'.csv'.length)), path: join(folder, name) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
  }

  async read(entry: JournalEntry): Promise<string[]> {
    return (await readFile(entry.path, 'utf8')).split('\n').filter((line) => line !== '');
  }

  async remove(entries: readonly JournalEntry[]): Promise<void> {
    for (const entry of entries) await rm(entry.path, { force: true });
  }

  /** Removes the entries whose lines the log in LOGS_DIR now holds (a batch starting at or before `lastSeq` is in it whole). */
  async removeThrough(spec: LogSpec, lastSeq: number): Promise<void> {
    try {
      await this.remove((await this.list(spec)).filter((entry) => entry.firstSeq <= lastSeq));
    } catch (error) {
      this.#warn(`journal of ${spec.key} not trimmed`, error);
    }
  }
}

/** The journal in LOGS_DIR, or none (on AWS); its failures go to `logger` as warnings. */
export function journalIn(
  logsDir: string | undefined,
  logger: { warn(message: string, details: Record<string, unknown>): void },
): SegmentJournal | undefined {
  return logsDir === undefined
    ? undefined
    : new SegmentJournal(logsDir, (message, error) => logger.warn(message, { error: String(error) }));
}
