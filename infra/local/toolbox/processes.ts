/**
 * The one child-process helper of the tools: start a command (in a process group of
 * its own when asked, so whatever it starts can be killed with it), keep the tail of
 * its output, and stop it: SIGTERM, SIGKILL after a grace period, then the group.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Its own process group (default true): `stop` and `killGroup` then reach its children too. */
  readonly group?: boolean;
  /** Each chunk of stdout and stderr as it comes; without it the output is only kept. */
  readonly onOutput?: (chunk: string) => void;
  /**
   * The kernel kills it when this process dies, however it dies (SIGKILL included), so
   * nothing it started outlives it holding a port: Linux's `setpriv --pdeathsig`, where
   * there is one. Elsewhere the stack's lock file lets the next start stop leftovers.
   */
  readonly dieWithParent?: boolean;
  /** Discard the output (default: keep its last `keepChars`). */
  readonly quiet?: boolean;
  readonly keepChars?: number;
}

export interface Spawned {
  readonly child: ChildProcess;
  /** Resolves with the exit code (128 + the signal's number when a signal ended it). */
  readonly exit: Promise<number>;
  /** The last characters of stdout and stderr. */
  output(): string;
  /** "code 1" or the signal that ended it. */
  describeExit(): string;
  /** SIGKILL to whatever is left of its process group. */
  killGroup(): void;
  stop(graceMs?: number): Promise<void>;
}

let setprivHasPdeathsig: boolean | undefined;

/** Whether util-linux's setpriv can set the parent-death signal here (Linux only). */
export function canDieWithParent(): boolean {
  setprivHasPdeathsig ??=
    process.platform === 'linux' && (spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout ?? '').includes('--pdeathsig');
  return setprivHasPdeathsig;
}

export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
  const group = options.group ?? true;
  const [file, fileArgs] =
    options.dieWithParent && canDieWithParent() ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  const child = spawn(file, fileArgs, {
    cwd: options.cwd,
    env: options.env,
    stdio: options.quiet ? 'ignore' : ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  let output = '';
  const onChunk = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-(options.keepChars ?? 20_000));
    options.onOutput?.(text);
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  const exit = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0))),
  );
  const killGroup = () => {
    if (!group || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already empty
    }
  };
  if (group) {
    // If this process exits without stopping it (an uncaught error), take the group down too.
    process.once('exit', killGroup);
    void exit.then(() => process.off('exit', killGroup));
  }
  return {
    child,
    exit,
    output: () => output,
    describeExit: () => child.signalCode ?? `code ${child.exitCode}`,
    killGroup,
    stop: async (graceMs = 3_000) => {
      // The whole group at once: a child left behind when its parent goes (esbuild's
      // service under sls) prints a Go panic when it finds its stdin closed mid-ping.
      await stopProcess(child, graceMs, group);
      killGroup();
    },
  };
}

/** SIGTERM (to its process group too, when it leads one), then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 3_000, group = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      else child.kill('SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  });
}
