/** Small network helpers shared by `npm start`, the bench and the tests. */
import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe server'));
      });
    });
  });
}

/** True when something answers HTTP at `url` (any status counts: it is alive). */
export async function answersHttp(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers or `timeoutMs` passes; throws with `what` in the message. */
export async function waitForHttp(url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersHttp(url, 1_000)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s`);
}
