/**
 * Process figures from Linux's /proc: resident memory of a process (and of its
 * descendants). The bench runs on Linux;
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

/** The parent pid field of /proc/<pid>/stat (the command may hold spaces and parentheses). Pure. */
export function parentPidFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
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
      if (ppid !== undefined) entries.push({ pid: Number(name), ppid });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return entries;
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
}
