/**
 * A large log read by two threads: a worker parses the second half while this thread
 * parses the first, then loads Chart.js and the canvas. Parsing is most of `npm run
 * plot`'s time (~0.2 s a million rows, one core), and pandas uses both cores: so do we.
 * Halves: the worker takes ~80 ms to start here, about what this thread spends spawning
 * it and, after its half, loading the chart libraries.
 *
 * Measured on a million rows (2 cores): ~0.37 s against ~0.42 s in one thread, for
 * ~0.1 s more CPU (the worker's start). So only when a core is idle: on a busy machine
 * the worker would only add that to what the others share. And only from a bundle
 * (launch.cjs builds it), which the worker loads: from the TypeScript sources (tests,
 * launch.cjs's tsx fallback), and for a small file, one thread reads it all. Either way
 * the column is the same (joinParts).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { type ErrorColumn, type ErrorColumnPart, joinParts, lineStartAfter, readErrorColumnRange } from './errorColumn.js';

/** Below this the worker's start costs more than it saves. */
const PARALLEL_MIN_BYTES = 16 << 20;

/** When a file is read by two threads. */
export interface Split {
  readonly minBytes: number;
  readonly coreIsIdle: () => boolean;
}

interface PartRequest {
  readonly path: string;
  readonly start: number;
}

/**
 * Starts reading the column of the log at `path`: the first stretch here and now
 * (synchronously), the rest in a worker when `bundle` (the running CLI's bundle) is
 * given, the file is large and a core is idle (`split`; the tests set it). Await the
 * result after doing what can overlap the worker.
 */
export function startReadingErrorColumn(
  path: string,
  bundle: string | undefined,
  split: Split = { minBytes: PARALLEL_MIN_BYTES, coreIsIdle: aCoreIsIdle },
): Promise<ErrorColumn> {
  const size = bundle === undefined ? 0 : fileSize(path);
  const parallel = bundle !== undefined && size >= split.minBytes && split.coreIsIdle();
  const boundary = parallel ? lineStartAfter(path, Math.floor(size / 2)) : size;
  if (boundary >= size) return Promise.resolve(readErrorColumnRange(path));
  const request: PartRequest = { path, start: boundary };
  const worker = new Worker(`require(${JSON.stringify(bundle)}).answerPartRequest()`, { eval: true, workerData: request });
  const second = new Promise<ErrorColumnPart>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker reading ${path} from byte ${boundary} exited (${code}) without an answer`)));
  });
  let first: ErrorColumnPart;
  try {
    first = readErrorColumnRange(path, 0, boundary);
  } catch (error) {
    void worker.terminate();
    throw error;
  }
  // A failed worker (its bundle replaced by a concurrent rebuild, say) costs time, not the
  // run: this thread reads the rest itself, where a fault of the file itself shows.
  const rest = second.catch(() => readErrorColumnRange(path, boundary));
  const column = rest.then((part) => joinParts(first, part));
  // Awaited only once this thread has done what overlaps the worker: a failure meanwhile is not unhandled.
  column.catch(() => undefined);
  return column;
}

/**
 * Whether a core is idle at this moment: Linux's count of runnable tasks (this thread
 * among them) is below the cores; where it cannot be read, whether there are two. On a
 * busy machine the worker only adds its start (~0.1 s of CPU) to what the others share.
 */
function aCoreIsIdle(): boolean {
  const cores = availableParallelism();
  try {
    const runnable = Number(readFileSync('/proc/loadavg', 'latin1').split(' ')[3]?.split('/')[0]);
    return Number.isInteger(runnable) ? runnable < cores : cores > 1;
  } catch {
    return cores > 1;
  }
}

function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** In the worker (cli.ts exports it for the bundle): reads the stretch asked for and posts it back, its values moved, not copied. */
export function answerPartRequest(): void {
  const { path, start } = workerData as PartRequest;
  const part = readErrorColumnRange(path, start);
  // The parser's own array: an ArrayBuffer, never shared.
  parentPort?.postMessage(part, [part.values.buffer as ArrayBuffer]);
}
