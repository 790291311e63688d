/**
 * A fresh embedded moto and an S3 client on it, for a phase that calls the functions'
 * own code in the bench's process (compactionCost.ts, tableContention.ts): started,
 * handed to `use`, and stopped whatever happens (`onStarted` lets main's cleanup stop
 * it on Ctrl+C too). And the pipeline's emulator: moto behind the recording proxy.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { localS3 } from '../infra/local/cloud/localClients.js';
import { startMoto } from '../infra/local/cloud/moto.js';
import { findFreePort } from '../infra/local/cloud/net.js';
import type { Cleanup } from './cleanup.js';
import { RecordingProxy } from './recordingProxy.js';

export async function withEmulator<T>(use: (s3: S3Client) => Promise<T>, onStarted?: (stop: () => Promise<void>) => void): Promise<T> {
  const moto = await startMoto(await findFreePort());
  const stop = () => moto.stop();
  onStarted?.(stop);
  const s3 = localS3(moto.url);
  try {
    return await use(s3);
  } finally {
    s3.destroy();
    await stop();
  }
}

/** moto on a free port with the recording proxy in front of it (the pipeline's AWS), both stopped by `cleanup`. */
export async function startRecordedEmulator(
  cleanup: Cleanup,
  say: (line: string) => void,
): Promise<{ moto: Awaited<ReturnType<typeof startMoto>>; proxy: RecordingProxy }> {
  const moto = await startMoto(await findFreePort());
  cleanup.add('moto', () => moto.stop());
  const proxy = await RecordingProxy.start({ target: moto.url });
  cleanup.add('recording proxy', () => proxy.close());
  say(`moto at ${moto.url} (pid ${moto.child.pid}), recording proxy at ${proxy.url}`);
  return { moto, proxy };
}
