/**
 * One stack per logs folder. Two stacks writing one LOGS_DIR would each take the other's
 * copy of the log for damage; so `npm start` (and every stack the tests and the bench
 * start) holds LOGS_DIR/.ml-monitor.lock while it runs: its pid and ports, and the pids
 * of the processes it started. Taking the lock is also the first write to the folder:
 * a folder that cannot be written fails the start at once, saying why.
 *
 * A lock whose owner is gone (killed with SIGKILL, or the machine rebooted) is stale:
 * the processes it names that still run, and are still the same processes (same start
 * time), are leftovers of that stack; they are stopped, and the lock is taken over.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeFileError } from '../../../functions/commons/logs/localMirror.js';
import { sleep } from '../toolbox/retry.js';
import { StackStartError } from './stackStartError.js';

export const LOCK_FILE = '.ml-monitor.lock';

/** A process as the lock names it: its start time tells it from a later process that got the same pid. */
export interface LockedProcess {
  readonly name: string;
  readonly pid: number;
  readonly startTime: string | undefined;
  /** It leads a process group of its own: stopping it stops the group. */
  readonly group: boolean;
}

export interface LockContent {
  readonly owner: LockedProcess;
  readonly startedAt: string;
  /** What the stack serves, by name ("AWS endpoint" → "http://127.0.0.1:4566"). */
  readonly addresses: Readonly<Record<string, string>>;
  readonly children: readonly LockedProcess[];
}

/** When a process started, or undefined when it is not running (from /proc on Linux, else `ps`). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command in field 2 may hold spaces, so count after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    // no /proc (macOS), or no such process
  }
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return started.trim() || undefined;
  } catch {
    return undefined;
  }
}

export function describeProcess(pid: number, name: string, group = false): LockedProcess {
  return { name, pid, startTime: processStartTime(pid), group };
}

/** Whether the process the lock names still runs (and is not a newer one with its pid). */
export function stillRunning(locked: LockedProcess): boolean {
  const now = processStartTime(locked.pid);
  return now !== undefined && (locked.startTime === undefined || now === locked.startTime);
}

export interface HeldLock {
  readonly path: string;
  /** Records the processes the stack runs now (after a start or a restart). */
  setChildren(children: readonly LockedProcess[]): Promise<void>;
  setAddresses(addresses: Readonly<Record<string, string>>): Promise<void>;
  release(): Promise<void>;
}

export interface AcquireOptions {
  readonly owner: LockedProcess;
  readonly addresses: Readonly<Record<string, string>>;
  /** Said once leftovers of a stack that died were found and stopped. */
  readonly onLeftovers?: (line: string) => void;
}

function inUseMessage(logsDir: string, content: LockContent): string {
  const addresses = Object.entries(content.addresses)
    .map(([what, where]) => `${what} ${where}`)
    .join(', ');
  return (
    `the logs folder ${logsDir} is in use by another stack (pid ${content.owner.pid}, started ${content.startedAt}` +
    `${addresses === '' ? '' : `; ${addresses}`}). Stop it first (Ctrl+C where it runs, or kill ${content.owner.pid}), ` +
    'or give this one a folder of its own with LOGS_DIR.'
  );
}

async function readLock(path: string): Promise<LockContent | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockContent>;
    return parsed.owner === undefined ? undefined : { addresses: {}, children: [], startedAt: '?', ...parsed, owner: parsed.owner };
  } catch {
    // Unreadable or half written: a start that died while taking it.
    return undefined;
  }
}

async function writeLockFile(path: string, content: LockContent, flag: 'wx' | 'w'): Promise<void> {
  const file = await open(path, flag);
  try {
    await file.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** SIGTERM, SIGKILL after a grace period; resolves when none of them runs. */
async function stopLeftovers(processes: readonly LockedProcess[], graceMs = 3_000): Promise<void> {
  const signal = (target: LockedProcess, name: NodeJS.Signals) => {
    try {
      process.kill(target.group ? -target.pid : target.pid, name);
    } catch {
      // gone meanwhile
    }
  };
  for (const target of processes) signal(target, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processes.some(stillRunning) && Date.now() < deadline) await sleep(100);
  for (const target of processes.filter(stillRunning)) signal(target, 'SIGKILL');
  while (processes.some(stillRunning)) await sleep(50);
}

/** What a stack serves, as its lock names them for a second start that finds the folder taken. */
export function stackAddresses(options: {
  readonly awsEndpoint: string;
  readonly quickchartUrl: string;
  readonly lambdaPort: number;
  readonly httpPort: number;
}): Record<string, string> {
  return {
    'AWS endpoint': options.awsEndpoint,
    'chart server': options.quickchartUrl,
    'Lambda endpoint': `http://127.0.0.1:${options.lambdaPort}`,
    'HTTP API': `http://127.0.0.1:${options.httpPort}`,
  };
}

/**
 * Takes LOGS_DIR's lock (creating the folder), or throws: a StackStartError naming the
 * folder and why it cannot be written, or one naming the stack that holds it.
 */
export async function acquireStackLock(logsDir: string, options: AcquireOptions): Promise<HeldLock> {
  const path = join(logsDir, LOCK_FILE);
  const cannot = (error: unknown) =>
    new StackStartError(`the logs folder ${logsDir} (LOGS_DIR) cannot be written: ${describeFileError(error)}`);
  await mkdir(logsDir, { recursive: true }).catch((error: unknown) => {
    throw cannot(error);
  });
  let content: LockContent = {
    owner: options.owner,
    startedAt: new Date().toISOString(),
    addresses: options.addresses,
    children: [],
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await writeLockFile(path, content, 'wx');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(error);
    }
    const held = await readLock(path);
    if (held !== undefined && stillRunning(held.owner)) throw new StackStartError(inUseMessage(logsDir, held));
    if (attempt >= 3) throw new StackStartError(`could not take ${path}: other starts keep taking it; try again`);
    const leftovers = (held?.children ?? []).filter(stillRunning);
    if (leftovers.length > 0) {
      await stopLeftovers(leftovers);
      options.onLeftovers?.(
        `stopped what an earlier stack on ${logsDir} left running when it died (pid ${held?.owner.pid}): ` +
          leftovers.map((child) => `${child.name} (pid ${child.pid})`).join(', '),
      );
    }
    // Renamed first: of two starts that both found it stale, only one removes it.
    const stale = `${path}.${process.pid}.stale`;
    await rename(path, stale).then(
      () => rm(stale, { force: true }),
      () => undefined,
    );
  }
  const rewrite = async (next: LockContent) => {
    content = next;
    const temporary = `${path}.${process.pid}.tmp`;
    await writeLockFile(temporary, content, 'w');
    await rename(temporary, path);
  };
  return {
    path,
    setChildren: (children) => rewrite({ ...content, children }),
    setAddresses: (addresses) => rewrite({ ...content, addresses }),
    release: () => rm(path, { force: true }),
  };
}
