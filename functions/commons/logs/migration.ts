/**
 * A bucket that holds a log of before the pieces (one object: metric_log.csv,
 * orphans.csv) is migrated by `maintain` on the first runs that find it: the object is
 * read a range at a time, each line checked, its rows written into new pieces of the
 * hour the migration started (pieceWriter.ts: bounded, filed in the id index) and
 * counted in the books (totals only: the old log kept no times). Nothing is lost: the
 * old object is left as it is (delete it once you no longer need it), and a line that
 * is no row is reported with its line number. A large log takes several runs: where a
 * run stopped is kept in state/migration.json, and the next one goes on from there.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getText, isMissing, putObject } from '../storage/s3Objects.js';
import type { IdIndex } from './idIndex.js';
import type { RejectedLine } from './logCheck.js';
import { LAST_LINE_METADATA, LOGS, type LogName, type LogSpec } from './logFiles.js';
import { type LogHead, NO_HEAD } from './logHeads.js';
import { PieceWriter } from './pieceWriter.js';

/** Bytes of the old object read at a time. */
const CHUNK_BYTES = 8 * 1024 * 1024;
const MIGRATION_STATE = 'state/migration.json';

interface Cursor {
  readonly etag: string;
  /** Bytes of the old object migrated: always just after a newline. */
  readonly offset: number;
  readonly size: number;
  readonly rows: number;
  readonly part: number;
  /** Epoch ms the migration started: its pieces are in that hour. */
  readonly startedAt: number;
  /** The old log's last line number (its metadata): the join table numbers on from it. */
  readonly lastSeq: number;
  readonly lastKey: string | undefined;
  readonly done: boolean;
}

export interface MigrationProgress {
  readonly log: LogName;
  readonly rows: number;
  readonly bytes: number;
  readonly size: number;
  readonly done: boolean;
  readonly rejected: readonly RejectedLine[];
  /** The log's head once done. */
  readonly head: LogHead;
}

export interface MigrationSinks {
  /** Rows migrated, for the books (their times are not known: totals only). */
  readonly rows: (name: LogName, lines: readonly string[]) => void;
}

/** Whether a one-object log is there to migrate (or a migration is under way). */
export async function oneObjectLogsToMigrate(s3: S3Client, bucket: string): Promise<boolean> {
  for (const spec of Object.values(LOGS)) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: spec.key }));
      return true;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return false;
}

/**
 * Goes on migrating both logs until `deadline` (epoch ms); returns each log's progress.
 * `done` on both once every row is in the pieces.
 */
export async function migrateOneObjectLogs(
  s3: S3Client,
  bucket: string,
  index: IdIndex,
  sinks: MigrationSinks,
  now: number,
  deadline: number,
): Promise<Record<LogName, MigrationProgress>> {
  const stored = await getText(s3, bucket, MIGRATION_STATE);
  const cursors: Partial<Record<LogName, Cursor>> = stored === undefined ? {} : JSON.parse(stored.text);
  const progress = {} as Record<LogName, MigrationProgress>;
  for (const spec of Object.values(LOGS)) {
    progress[spec.name] = await migrateLog(s3, bucket, index, spec, cursors, sinks, now, deadline);
    await putObject(s3, bucket, MIGRATION_STATE, JSON.stringify(cursors), 'application/json');
  }
  return progress;
}

async function migrateLog(
  s3: S3Client,
  bucket: string,
  index: IdIndex,
  spec: LogSpec,
  cursors: Partial<Record<LogName, Cursor>>,
  sinks: MigrationSinks,
  now: number,
  deadline: number,
): Promise<MigrationProgress> {
  let cursor = cursors[spec.name];
  if (cursor === undefined) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: spec.key })).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (head === undefined) return { log: spec.name, rows: 0, bytes: 0, size: 0, done: true, rejected: [], head: NO_HEAD };
    cursor = {
      etag: head.ETag ?? '',
      offset: 0,
      size: head.ContentLength ?? 0,
      rows: 0,
      part: 0,
      startedAt: now,
      lastSeq: Number(head.Metadata?.[LAST_LINE_METADATA] ?? 0),
      lastKey: undefined,
      done: false,
    };
  }
  const rejected: RejectedLine[] = [];
  const writer = new PieceWriter({ s3, bucket, spec, index, loggedAt: cursor.startedAt, firstPart: cursor.part, rowsBefore: cursor.rows });
  let offset = cursor.offset;
  let lineNumber = cursor.rows + 1;
  while (!cursor.done && offset < cursor.size && Date.now() < deadline) {
    const end = Math.min(cursor.size, offset + CHUNK_BYTES) - 1;
    const response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: spec.key, Range: `bytes=${offset}-${end}`, IfMatch: cursor.etag }),
    );
    const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
    const last = end + 1 >= cursor.size;
    const complete = last ? bytes.length : bytes.lastIndexOf(0x0a) + 1;
    if (complete === 0)
      throw new Error(`${spec.key}: a line longer than ${CHUNK_BYTES} bytes at byte ${offset}: not a log of this pipeline`);
    const lines = bytes.toString('utf8', 0, complete).split('\n');
    const rows: string[] = [];
    lines.forEach((raw) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || (offset === 0 && line === spec.header)) return;
      const problem = spec.problemOf(line);
      if (problem === undefined) rows.push(line);
      else rejected.push({ lineNumber, text: line, reason: problem });
      lineNumber += 1;
    });
    await writer.add(rows.map((line) => ({ line, notes: { model: undefined, at: cursor?.startedAt ?? now } })));
    sinks.rows(spec.name, rows);
    offset += complete;
  }
  const written = await writer.finish();
  const done = offset >= cursor.size;
  cursor = {
    ...cursor,
    offset,
    rows: writer.rows,
    part: cursor.part + written.length,
    lastKey: written.at(-1)?.key ?? cursor.lastKey,
    done,
  };
  cursors[spec.name] = cursor;
  return {
    log: spec.name,
    rows: writer.rows,
    bytes: offset,
    size: cursor.size,
    done,
    rejected,
    // Lines the old log numbered but dropped as duplicates count in its last line number, not in its rows.
    head: { key: cursor.lastKey, lastSeq: Math.max(cursor.lastSeq, writer.rows), rows: writer.rows },
  };
}
