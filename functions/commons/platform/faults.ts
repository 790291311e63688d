/**
 * Fault injection for the crash tests: a named point in a handler throws when
 * ML_MONITOR_CRASH_AT names it. Read at every call (not at load) so a test can
 * crash one invocation and let the redelivery run clean. Never set in production.
 */
import { MlMonitorError } from './errors.js';

export class InjectedCrashError extends MlMonitorError {}

export type CrashPointName = 'metric:after-commit' | 'metric:after-segments' | 'predictor:after-first-send';

export function crashPoint(name: CrashPointName): void {
  const wanted = process.env.ML_MONITOR_CRASH_AT;
  if (wanted?.split(',').includes(name)) {
    throw new InjectedCrashError(`injected crash at ${name} (ML_MONITOR_CRASH_AT)`);
  }
}
