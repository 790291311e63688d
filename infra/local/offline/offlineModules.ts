/**
 * serverless-offline's own modules, as it loads them: the very instances it uses, so a
 * fix that wraps a member of one of its classes reaches the servers it starts
 * (apiGateway.ts, lambdaEndpoint.ts). Nothing installed is edited.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** serverless-offline's src/ folder, where its package's main module lives. */
export function offlineSourceDir(): string {
  return dirname(require.resolve('serverless-offline'));
}

/** One of serverless-offline's own modules (relative to its src/), the very instance it uses. */
export async function loadOfflineModule<T>(relativePath: string): Promise<T> {
  return (await import(pathToFileURL(join(offlineSourceDir(), relativePath)).href)) as T;
}
