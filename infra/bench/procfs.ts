/**
 * Process figures from Linux's /proc: resident memory of a process (and of its
 * descendants), and finding a child by its command line. The bench runs on Linux;
 * elsewhere these return undefined and the report says "n/a".
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A `VmRSS:   123456 kB`-style field of /proc/<pid>/status, in MB. Pure. */
export function statusFieldMb(status: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
}

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Current resident set size of `pid` in MB. */
export function rssMb(pid: number): number | undefined {
  const status = readStatus(pid);
  return status === undefined ? undefined : statusFieldMb(status, 'VmRSS');
}

/** Peak resident set size over the process's whole life ("high water mark"), MB. */
export function hwmMb(pid: number): number | undefined {
  const status = readStatus(pid);
  return status === undefined ? undefined : statusFieldMb(status, 'VmHWM');
}

/** The parent pid field of /proc/<pid>/stat (the command may hold spaces and parentheses). Pure. */
export function parentPidFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

function listProcesses(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const entries: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = parentPidFromStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (ppid !== undefined) entries.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return entries;
}

/** The first child of `parent` whose command line contains `fragment`. */
export function findChild(parent: number, fragment: string): number | undefined {
  return listProcesses().find((entry) => entry.ppid === parent && entry.cmdline.includes(fragment))?.pid;
}

/** Every descendant of `root` (not root itself). */
export function descendants(root: number): number[] {
  const all = listProcesses();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const entry of all) {
      if (entry.ppid === parent) {
        found.push(entry.pid);
        queue.push(entry.pid);
      }
    }
  }
  return found;
}

/** RSS of `root` plus all its descendants, MB. */
export function treeRssMb(root: number): number | undefined {
  const own = rssMb(root);
  if (own === undefined) return undefined;
  return descendants(root).reduce((sum, pid) => sum + (rssMb(pid) ?? 0), own);
}

/** Samples values every `everyMs` and keeps the peak of each. */
export class PeakSampler {
  readonly #probes: Readonly<Record<string, () => number | undefined>>;
  readonly #peaks: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;

  constructor(probes: Readonly<Record<string, () => number | undefined>>) {
    this.#probes = probes;
  }

  start(everyMs = 500): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  sample(): void {
    for (const [name, probe] of Object.entries(this.#probes)) {
      const value = probe();
      if (value !== undefined && !(value <= (this.#peaks[name] ?? -Infinity))) this.#peaks[name] = value;
    }
  }

  stop(): Readonly<Record<string, number>> {
    clearInterval(this.#timer);
    this.sample();
    return { ...this.#peaks };
  }

  peaks(): Readonly<Record<string, number>> {
    return { ...this.#peaks };
  }
}
