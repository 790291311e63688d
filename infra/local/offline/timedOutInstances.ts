/**
 * A fix for serverless-offline 13 (upstream issue #1896, fixed only in 14, which
 * needs Serverless v4): when an invocation times out, serverless-offline terminates
 * that instance's worker thread but puts the instance back in its pool as IDLE, so
 * every later invocation it gets is posted to a dead worker and times out too —
 * "even metric with an empty event", forever, after one slow moment.
 *
 * Lambda itself never reuses an environment whose invocation timed out. This makes
 * serverless-offline do the same: an instance whose run timed out reports itself as
 * retired, never IDLE, so the pool starts a fresh instance instead. Only public
 * members of the class are touched (its `runHandler` method and `status` getter);
 * nothing installed is edited.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The serverless-offline release this was written against: its LambdaFunction is what is wrapped. */
export const FIXED_FOR_VERSION = /^13\./;

interface LambdaFunctionClass {
  prototype: { runHandler: (...args: unknown[]) => Promise<unknown> };
}

/** serverless-offline's own files, as it loads them (the same module instances, so the patch reaches its pool). */
export function offlineSourceDir(): string {
  return dirname(require.resolve('serverless-offline'));
}

/** One of serverless-offline's own modules (relative to its src/), the very instance it uses. */
export async function loadOfflineModule<T>(relativePath: string): Promise<T> {
  return (await import(pathToFileURL(join(offlineSourceDir(), relativePath)).href)) as T;
}

/** Why the fix cannot apply to the installed serverless-offline, or undefined when it can. */
export async function whyNotApplicable(): Promise<string | undefined> {
  const { default: lambdaFunction } = await loadOfflineModule<{ default?: LambdaFunctionClass }>('lambda/LambdaFunction.js').catch(() => ({
    default: undefined,
  }));
  const { default: timeoutError } = await loadOfflineModule<{ default?: unknown }>('errors/LambdaTimeoutError.js').catch(() => ({
    default: undefined,
  }));
  if (typeof lambdaFunction?.prototype?.runHandler !== 'function') return 'LambdaFunction.prototype.runHandler is gone';
  if (typeof Object.getOwnPropertyDescriptor(lambdaFunction.prototype, 'status')?.get !== 'function') {
    return 'LambdaFunction.prototype.status is no longer a getter';
  }
  if (typeof timeoutError !== 'function') return 'errors/LambdaTimeoutError.js is gone';
  return undefined;
}

const RETIRED = 'RETIRED';
let applied = false;

/** Applies the fix once per process; returns why it could not, or undefined when it is in place. */
export async function retireTimedOutInstances(): Promise<string | undefined> {
  if (applied) return undefined;
  const problem = await whyNotApplicable();
  if (problem !== undefined) return problem;
  const { default: lambdaFunction } = await loadOfflineModule<{ default: LambdaFunctionClass }>('lambda/LambdaFunction.js');
  const { default: LambdaTimeoutError } = await loadOfflineModule<{ default: new (...args: never[]) => Error }>(
    'errors/LambdaTimeoutError.js',
  );
  const prototype = lambdaFunction.prototype;
  const runHandler = prototype.runHandler;
  const status = Object.getOwnPropertyDescriptor(prototype, 'status')?.get as () => string;
  const timedOut = new WeakSet<object>();

  prototype.runHandler = async function runHandlerRetiringOnTimeout(this: object, ...args: unknown[]) {
    try {
      return await runHandler.apply(this, args);
    } catch (error) {
      if (error instanceof LambdaTimeoutError) timedOut.add(this);
      throw error;
    }
  };
  Object.defineProperty(prototype, 'status', {
    configurable: true,
    get(this: object) {
      return timedOut.has(this) ? RETIRED : status.call(this);
    },
  });
  applied = true;
  return undefined;
}
