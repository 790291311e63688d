/** toolbox/processes: output kept and passed on, exit codes, and a stop that reaches what the command started. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnProcess } from '../../../../../infra/local/toolbox/processes.js';
import { waitFor } from '../../../../../infra/local/toolbox/retry.js';

/** Running, not a zombie waiting for a parent to reap it. */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

describe('spawnProcess', () => {
  it('keeps stdout and stderr, passes each chunk on, and resolves exit with the code', async () => {
    const chunks: string[] = [];

    const proc = spawnProcess('sh', ['-c', 'echo out; echo err >&2; exit 3'], { onOutput: (chunk) => chunks.push(chunk) });

    expect(await proc.exit).toBe(3);
    expect(proc.describeExit()).toBe('code 3');
    expect(proc.output().split('\n').sort()).toEqual(['', 'err', 'out']);
    expect(chunks.join('').split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('keeps only the last keepChars of the output', async () => {
    const proc = spawnProcess('sh', ['-c', 'printf 0123456789'], { keepChars: 4 });

    await proc.exit;

    expect(proc.output()).toBe('6789');
  });

  it('stops the command and, in its own group, whatever it started', async () => {
    const proc = spawnProcess('sh', ['-c', 'sleep 30 & echo $!; wait']);
    const sleeper = await waitFor(async () => Number(proc.output().trim()) || undefined, { timeoutMs: 5_000, what: "sleep's pid" });

    await proc.stop(1_000);

    expect(await proc.exit).toBe(128 + 15);
    expect(proc.describeExit()).toBe('SIGTERM');
    expect(await waitFor(async () => !running(sleeper), { timeoutMs: 2_000, what: 'sleep to end' })).toBe(true);
  });
});
