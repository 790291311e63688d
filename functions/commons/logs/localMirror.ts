/**
 * The local copy of the S3 outputs in LOGS_DIR (./logs under `npm start`), so a user
 * sees the files without an S3 client.
 *
 * Whole files (the PNG, a log seen for the first time) go to a temporary file first
 * and are renamed into place, so a reader never sees half a file. The append-only
 * logs are only ever extended: the local file must be a prefix of the log it mirrors,
 * and only the missing tail is appended. A local file that holds rows the log lacks
 * (the bucket was emptied, or another stack writes here) is left exactly as it is:
 * the log is sacred, and the caller says so.
 */
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeMirror(logsDir: string | undefined, name: string, body: string | Uint8Array): Promise<void> {
  if (logsDir === undefined) return;
  await mkdir(logsDir, { recursive: true });
  const target = join(logsDir, name);
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, body);
  await rename(temporary, target);
}

/**
 * What syncLogMirror did: `written` (there was no local file), `appended` (the local
 * file was a prefix of the log), `current` (nothing to do), `diverged` (the local file
 * is not a prefix of the log: untouched), `off` (no LOGS_DIR).
 */
export type MirrorSync = 'written' | 'appended' | 'current' | 'diverged' | 'off';

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
    await writeMirror(logsDir, name, await log.bytes(0, log.size));
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
