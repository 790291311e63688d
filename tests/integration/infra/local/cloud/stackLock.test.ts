/**
 * One stack per logs folder: the lock names who holds it; a lock left by a stack that
 * died is taken over, and what that stack left running is stopped, but never a process
 * that only got one of its pids. With real processes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireStackLock,
  describeProcess,
  LOCK_FILE,
  type LockContent,
  stillRunning,
} from '../../../../../infra/local/cloud/stackLock.js';
import { StackStartError } from '../../../../../infra/local/cloud/stackStartError.js';

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const addresses = { 'AWS endpoint': 'http://127.0.0.1:4566', 'HTTP API': 'http://127.0.0.1:3000' };

/** A process that runs until killed, in a group of its own (as sls offline is). */
function longRunning(): ChildProcess {
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync('true').pid as number;
}

async function writeLock(content: LockContent): Promise<void> {
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(content));
}

describe('acquireStackLock', () => {
  it('takes a free folder, names this process and its addresses, and frees it on release', async () => {
    const lock = await acquireStackLock(dir, { owner: describeProcess(process.pid, 'test'), addresses });
    const content = JSON.parse(await readFile(lock.path, 'utf8')) as LockContent;

    expect(content.owner.pid).toBe(process.pid);
    expect(content.addresses).toEqual(addresses);
    await lock.release();
    await (await acquireStackLock(dir, { owner: describeProcess(process.pid, 'test'), addresses })).release();
  });

  it('refuses a folder another running stack holds, naming its pid and addresses', async () => {
    const other = longRunning();
    await writeLock({
      owner: describeProcess(other.pid as number, 'the stack'),
      startedAt: '2026-12-03T12:00:00.000Z',
      addresses,
      children: [],
    });

    const refused = acquireStackLock(dir, { owner: describeProcess(process.pid, 'test'), addresses: {} });

    await expect(refused).rejects.toThrow(StackStartError);
    await expect(refused).rejects.toThrow(
      `the logs folder ${dir} is in use by another stack (pid ${other.pid}, started 2026-12-03T12:00:00.000Z; ` +
        'AWS endpoint http://127.0.0.1:4566, HTTP API http://127.0.0.1:3000). Stop it first',
    );
  });

  it('takes over the lock of a stack that died, stopping what it left running', async () => {
    const leftover = longRunning();
    const left = describeProcess(leftover.pid as number, 'sls offline start', true);
    const gone = deadPid();
    await writeLock({ owner: { name: 'the stack', pid: gone, startTime: '1', group: false }, startedAt: '?', addresses, children: [left] });
    const said: string[] = [];

    const lock = await acquireStackLock(dir, {
      owner: describeProcess(process.pid, 'test'),
      addresses,
      onLeftovers: (line) => said.push(line),
    });

    expect(stillRunning(left)).toBe(false);
    expect(said).toEqual([
      `stopped what an earlier stack on ${dir} left running when it died (pid ${gone}): sls offline start (pid ${leftover.pid})`,
    ]);
    expect((JSON.parse(await readFile(lock.path, 'utf8')) as LockContent).owner.pid).toBe(process.pid);
  });

  it('never stops a process that only has the pid a leftover had (its start time differs)', async () => {
    const bystander = longRunning();
    const recorded = { ...describeProcess(bystander.pid as number, 'moto_server'), startTime: 'an earlier start' };
    await writeLock({
      owner: { name: 'the stack', pid: deadPid(), startTime: '1', group: false },
      startedAt: '?',
      addresses,
      children: [recorded],
    });

    await acquireStackLock(dir, { owner: describeProcess(process.pid, 'test'), addresses });

    expect(stillRunning(describeProcess(bystander.pid as number, 'sleep'))).toBe(true);
  });

  it('takes over a lock file that is unreadable (a start that died while writing it)', async () => {
    await writeFile(join(dir, LOCK_FILE), '{"owner": {"pi');

    await expect(acquireStackLock(dir, { owner: describeProcess(process.pid, 'test'), addresses })).resolves.toBeDefined();
  });

  it('says why a folder cannot be written: a file where it should be', async () => {
    await writeFile(join(dir, 'logs'), 'not a folder');

    await expect(acquireStackLock(join(dir, 'logs'), { owner: describeProcess(process.pid, 'test'), addresses })).rejects.toThrow(
      new RegExp(
        `^the logs folder ${dir}/logs \\(LOGS_DIR\\) cannot be written: a file is where a folder should be \\(E(EXIST|NOTDIR)\\)$`,
      ),
    );
  });
});
