/**
 * The local copy of the S3 outputs in LOGS_DIR (./logs under `npm start`), so a user
 * sees the files without an S3 client.
 *
 * Whole files (the PNG, metrics.json, a log seen for the first time) go to a temporary
 * file, flushed to the disk, then renamed into place, so a reader never sees half a
 * file. The append-only logs are only ever extended: the local file must be a prefix
 * of the log it mirrors, and only the missing tail is appended. A local file that is
 * not (edited, damaged, or holding rows the bucket lacks) is left as it is here and
 * reported `diverged`: the compaction repairs it without losing a line (compaction.ts),
 * moving the lines that are no rows aside to <log>.rejected.csv (setAsideRejected).
 */
import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RejectedLine } from './logCheck.js';
import type { LogSpec } from './logFiles.js';

/** A file-system failure in one short phrase, for one console line: what is wrong, and its code. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const what: Record<string, string> = {
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'the operation is not permitted (an immutable folder?)',
    ENOTDIR: 'a file is where a folder should be',
    EEXIST: 'a file is where a folder should be',
    EISDIR: 'a folder is where a file should be',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is used up',
  };
  return code === undefined ? String((error as Error).message ?? error) : `${what[code] ?? (error as Error).message} (${code})`;
}

/** Writes `body` whole to `target` (its folder made if need be): a temporary file, flushed to the disk, then renamed into place. */
export async function replaceFile(target: string, body: string | Uint8Array): Promise<void> {
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(dirname(target), { recursive: true });
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a whole output (the PNG, metrics.json, …) to LOGS_DIR, so a reader never sees
 * half a file. The bucket holds the output either way: a failure here (a read-only or
 * full disk) is returned as one line for the caller to report, never thrown.
 */
export async function writeMirror(logsDir: string | undefined, name: string, body: string | Uint8Array): Promise<string | undefined> {
  if (logsDir === undefined) return undefined;
  try {
    await mkdir(logsDir, { recursive: true });
    await replaceFile(join(logsDir, name), body);
    return undefined;
  } catch (error) {
    return `${join(logsDir, name)} not written: ${describeFileError(error)}`;
  }
}

/** The side file beside a log where its lines that are no rows are moved: `metric_log.rejected.csv`. */
export function rejectedFileName(spec: LogSpec): string {
  return `${spec.name}.rejected.csv`;
}

const REJECTED_HEADER = 'found_at,file,line,reason,text';

/** A CSV field, quoted when it must be (the rejected text is kept exactly as it was). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Moves rejected lines aside: appends them, with their line numbers and reasons, to
 * LOGS_DIR/<log>.rejected.csv (flushed to the disk before the caller drops them from
 * the log's copy). Returns the side file's path.
 */
export async function setAsideRejected(
  logsDir: string,
  spec: LogSpec,
  rejected: readonly RejectedLine[],
  source: string,
  now = new Date(),
): Promise<string> {
  const target = join(logsDir, rejectedFileName(spec));
  if (rejected.length === 0) return target;
  const isNew = await stat(target).then(
    () => false,
    () => true,
  );
  const rows = rejected.map((line) =>
    [now.toISOString(), csvField(source), line.lineNumber, csvField(line.reason), csvField(line.text)].join(','),
  );
  await appendFile(target, `${isNew ? `${REJECTED_HEADER}\n` : ''}${rows.join('\n')}\n`);
  const file = await open(target, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  return target;
}

/**
 * What became of the local copy: `written` (there was no local file), `appended` (the
 * local file was a prefix of the log), `current` (nothing to do), `diverged` (the local
 * file is not a prefix of the log: syncLogMirror leaves it untouched), `repaired` (a
 * diverged copy the compaction repaired), `failed` (the file system refused), `off`
 * (no LOGS_DIR).
 */
export type MirrorSync = 'written' | 'appended' | 'current' | 'diverged' | 'repaired' | 'failed' | 'off';

/** How many bytes at each end of the local file are compared with the log. */
const PROBE_BYTES = 4096;

/** The log being mirrored: its size, and any range of its bytes (appendOnlyLog.ts keeps the ones asked for in memory). */
export interface LogBytes {
  readonly size: number;
  bytes(start: number, end: number): Promise<Buffer>;
}

/**
 * Brings LOGS_DIR/`name` up to the append-only `log` without ever dropping a byte
 * the local file holds. The prefix check compares the local file's first and last
 * 4 KiB with the log at the same offsets: every writer of these files only appends,
 * so a file that agrees at both ends and is not longer is the log's prefix.
 */
export async function syncLogMirror(logsDir: string | undefined, name: string, log: LogBytes): Promise<MirrorSync> {
  if (logsDir === undefined) return 'off';
  const target = join(logsDir, name);
  const size = await stat(target).then(
    (stats) => stats.size,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
  if (size === undefined) {
    await mkdir(dirname(target), { recursive: true });
    await replaceFile(target, await log.bytes(0, log.size));
    return 'written';
  }
  if (size > log.size || !(await agreesAtBothEnds(target, size, log))) return 'diverged';
  if (size === log.size) return 'current';
  // A crash mid-append leaves a prefix too (a partial last line): the next sync completes it.
  const missing = await log.bytes(size, log.size);
  const file = await open(target, 'a');
  try {
    await file.write(missing);
  } finally {
    await file.close();
  }
  return 'appended';
}

async function agreesAtBothEnds(path: string, size: number, log: LogBytes): Promise<boolean> {
  if (size <= 2 * PROBE_BYTES) return (await readFile(path)).equals(await log.bytes(0, size));
  const file = await open(path, 'r');
  try {
    const probe = Buffer.alloc(PROBE_BYTES);
    await file.read(probe, 0, PROBE_BYTES, 0);
    if (!probe.equals(await log.bytes(0, PROBE_BYTES))) return false;
    await file.read(probe, 0, PROBE_BYTES, size - PROBE_BYTES);
    return probe.equals(await log.bytes(size - PROBE_BYTES, size));
  } finally {
    await file.close();
  }
}

/** The local copy of a log, or undefined when there is none (or no LOGS_DIR). */
export async function readMirror(logsDir: string | undefined, name: string): Promise<string | undefined> {
  if (logsDir === undefined) return undefined;
  return readFile(join(logsDir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}
