/**
 * The embedded AWS emulator: moto_server (Python) for SQS and S3, started on
 * 127.0.0.1 only. Used by `npm start` when nothing answers at the endpoint, and by
 * every test that needs a real emulator (each on its own free port).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readLocalSetting } from '../settings.js';
import { type Spawned, spawnProcess } from '../toolbox/processes.js';
import { waitForHttp } from './net.js';

/** moto_server with its per-request module scan cached and SQS indexed so its cost is flat in queue depth (see the file's docstring). */
export const FAST_MOTO_WRAPPER = join(__dirname, 'fast_moto_server.py');

/**
 * The moto the wrapper's SQS patch was written against (it checks the version and the
 * source of every function it replaces): what README, .ci/run and the errors here tell
 * users to install, `pip install "moto[server]==5.2.1"`.
 */
export const MOTO_VERSION = '5.2.1';
export const MOTO_INSTALL = `pip install "moto[server]==${MOTO_VERSION}"`;

export interface RunningProcess extends Spawned {
  readonly url: string;
}

/** A moto_server this process started: with the wrapper, or plain moto and why. */
export interface RunningMoto extends RunningProcess {
  /** Why this is plain moto_server (its SQS not patched), or undefined when the wrapper's patch is in place. */
  readonly plain: string | undefined;
}

export class MotoMissingError extends Error {
  constructor() {
    super(
      `moto_server is not on PATH. Install it with \`${MOTO_INSTALL}\` ` +
        '(or run the Docker way: `docker compose up`, which uses LocalStack).',
    );
    this.name = 'MotoMissingError';
  }
}

export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

let wrapperPython: string | null | undefined;

/**
 * The Python that can run the wrapper (it has moto importable), or null: then the
 * plain moto_server is used. MOTO_PYTHON picks it; MOTO_FAST=0 turns the wrapper off.
 */
export function fastMotoPython(): string | null {
  if (readLocalSetting('motoFast') === false) return null;
  if (wrapperPython === undefined) {
    const python = readLocalSetting('motoPython') ?? 'python3';
    wrapperPython = spawnSync(python, ['-c', 'import moto.server, moto.backends'], { stdio: 'ignore' }).status === 0 ? python : null;
  }
  return wrapperPython;
}

let sqsPatchVerdict: string | undefined;

/**
 * Why moto_server would run plain, its SQS not patched by the wrapper, or undefined when
 * the patch applies: MOTO_FAST=0, no Python that imports moto, or a moto other than the
 * one the patch was written for (the wrapper's own `--check`, which imports moto as the
 * server would, so about a second, once per process).
 */
export function plainMotoReason(): string | undefined {
  if (readLocalSetting('motoFast') === false) return 'MOTO_FAST=0';
  const python = fastMotoPython();
  if (python === null) return `${readLocalSetting('motoPython') ?? 'python3'} cannot import moto`;
  sqsPatchVerdict ??=
    spawnSync(python, [FAST_MOTO_WRAPPER, '--check'], { encoding: 'utf8' }).stdout?.trim() || "the wrapper's check failed";
  return sqsPatchVerdict === 'compatible' ? undefined : sqsPatchVerdict;
}

/** The one line `npm start` prints when it starts plain moto: why, what that costs, and the fix. */
export function plainMotoNotice(reason: string): string {
  return (
    `plain moto_server, not the fast wrapper (${reason}): its SQS cost grows with queue depth ` +
    `(a 10-message send: 8 ms on an empty queue, 1.1 s at 5,000 deep), so a burst can stall the pipeline; ` +
    `\`${MOTO_INSTALL}\` for the wrapper`
  );
}

/** Starts moto_server on 127.0.0.1:`port` (in this process's group: a Ctrl+C reaches it) and resolves once it answers. */
export async function startMoto(port: number, options: { fast?: boolean } = {}): Promise<RunningMoto> {
  if (!motoAvailable()) throw new MotoMissingError();
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const plain = options.fast === false ? 'plain asked for' : plainMotoReason();
  // A moto the patch does not fit still gets the wrapper's cached module list (the patch itself stays out).
  const python = options.fast === false ? null : fastMotoPython();
  const [command, commandArgs] = python === null ? ['moto_server', args] : [python, [FAST_MOTO_WRAPPER, ...args]];
  const moto = {
    ...spawnProcess(command, commandArgs, { group: false, quiet: true, dieWithParent: true }),
    url: `http://127.0.0.1:${port}`,
    plain,
  };
  const exited = moto.exit.then((code) => {
    throw new Error(`moto_server exited early with code ${code} (is port ${port} taken?)`);
  });
  exited.catch(() => undefined);
  await Promise.race([waitForHttp(`${moto.url}/moto-api/`, 'moto_server', 30_000), exited]).catch(async (error: unknown) => {
    await moto.stop();
    throw error;
  });
  return moto;
}
