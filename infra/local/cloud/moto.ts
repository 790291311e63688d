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

export interface RunningProcess extends Spawned {
  readonly url: string;
}

export class MotoMissingError extends Error {
  constructor() {
    super(
      'moto_server is not on PATH. Install it with `pip install "moto[server]"` ' +
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

/** Starts moto_server on 127.0.0.1:`port` (in this process's group: a Ctrl+C reaches it) and resolves once it answers. */
export async function startMoto(port: number, options: { fast?: boolean } = {}): Promise<RunningProcess> {
  if (!motoAvailable()) throw new MotoMissingError();
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const python = options.fast === false ? null : fastMotoPython();
  const [command, commandArgs] = python === null ? ['moto_server', args] : [python, [FAST_MOTO_WRAPPER, ...args]];
  const moto = {
    ...spawnProcess(command, commandArgs, { group: false, quiet: true, dieWithParent: true }),
    url: `http://127.0.0.1:${port}`,
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
