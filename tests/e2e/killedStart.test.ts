/**
 * `npm start` killed with SIGKILL leaves nothing running: a killed npm stops the stack
 * cleanly; a killed stack process takes moto and sls offline down with it (the kernel's
 * parent-death signal); the next `npm start` on the same logs folder takes over the
 * lock the dead one left and starts, and a second one on that folder is refused naming
 * it; Ctrl+C stops it all. The real `npm start`, on free
 * ports and a logs folder of its own.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { portTaken } from '../../infra/local/cloud/net.js';
import { LOCK_FILE, type LockContent, stillRunning } from '../../infra/local/cloud/stackLock.js';
import { freeStackPorts } from '../../infra/local/supervisor.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { canDieWithParent } from '../../infra/local/toolbox/processes.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';
import { eventually, stackPortsEnv } from '../helpers/stack.js';

const buildFolder = privateBuildFolder();
let logsDir: string;
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  removeBuildFolder(buildFolder);
  if (logsDir) await rm(logsDir, { recursive: true, force: true });
});

interface Start {
  readonly npm: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
  readonly lock: LockContent;
}

/** `npm start` in a process group of its own (as a terminal runs it), once it says it is ready. */
async function npmStart(ports: Awaited<ReturnType<typeof freeStackPorts>>): Promise<Start> {
  const npm = spawn('npm', ['start'], {
    cwd: PROJECT_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...stackPortsEnv(ports),
      LOGS_DIR: logsDir,
      ESBUILD_WORK_FOLDER: buildFolder,
      SCHEDULES_ENABLED: 'false',
    },
  });
  started.push(npm);
  let output = '';
  for (const stream of [npm.stdout, npm.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  await eventually(
    'npm start ready',
    async () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited: ${output}`);
      return /\[ml-monitor\] ready/.test(output) || undefined;
    },
    240_000,
  );
  const lock = JSON.parse(await readFile(join(logsDir, LOCK_FILE), 'utf8')) as LockContent;
  return { npm, output: () => output, exit, lock };
}

const everything = (lock: LockContent) => [lock.owner, ...lock.children];

async function portsFree(ports: Awaited<ReturnType<typeof freeStackPorts>>): Promise<boolean> {
  const numbers = [new URL(ports.awsEndpoint).port, new URL(ports.quickchartUrl).port, ports.lambdaPort, ports.httpPort].map(Number);
  return (await Promise.all(numbers.map((port) => portTaken(port)))).every((taken) => !taken);
}

describe('npm start killed with SIGKILL', () => {
  it('leaves nothing running, and the next npm start on the folder starts', async () => {
    logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-killed-'));
    const ports = await freeStackPorts();

    // npm itself killed: the stack sees it is orphaned and stops, releasing the folder.
    const first = await npmStart(ports);
    expect(first.lock.children.map((child) => child.name)).toEqual(['moto_server', 'sls offline start']);
    process.kill(first.npm.pid as number, 'SIGKILL');
    await eventually('all of the first start gone', async () => (everything(first.lock).some(stillRunning) ? undefined : true));
    expect(await portsFree(ports)).toBe(true);
    await expect(readFile(join(logsDir, LOCK_FILE))).rejects.toThrow(/ENOENT/);

    // The stack's own process killed: moto and sls die with it (Linux), its lock stays behind.
    const second = await npmStart(ports);
    process.kill(second.lock.owner.pid, 'SIGKILL');
    if (canDieWithParent()) {
      await eventually('moto and sls gone with their parent', async () => (second.lock.children.some(stillRunning) ? undefined : true));
      expect(await eventually('the ports free', async () => (await portsFree(ports)) || undefined)).toBe(true);
    }

    // The next start takes over the stale lock (stopping any leftover) and runs; Ctrl+C stops it all.
    const third = await npmStart(ports);
    expect(third.lock.owner.pid).not.toBe(second.lock.owner.pid);
    expect(third.output()).not.toMatch(/in use by another stack|is taken/);

    // A second npm start on the same folder, on other ports, is refused, naming the running one.
    const other = await freeStackPorts();
    const refused = await promisify(execFile)('npm', ['start', '--silent'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, LOGS_DIR: logsDir, AWS_ENDPOINT_URL: other.awsEndpoint, LAMBDA_PORT: String(other.lambdaPort) },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the logs folder ${logsDir} is in use by another stack (pid ${third.lock.owner.pid}, started `);
    expect(refused.stderr).toContain(`AWS endpoint ${ports.awsEndpoint}, chart server ${ports.quickchartUrl}`);
    expect(await portTaken(Number(new URL(other.awsEndpoint).port))).toBe(false);

    process.kill(-(third.npm.pid as number), 'SIGINT');
    expect(await third.exit).toBe(0);
    expect(everything(third.lock).some(stillRunning)).toBe(false);
    expect(third.output()).toMatch(/\[ml-monitor\] stopped/);
    expect(third.output()).not.toMatch(/fatal error|goroutine/);
  }, 600_000);
});
