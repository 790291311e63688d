/**
 * Record ids: `<emission time, ms since epoch, 13 digits>-<run, 8 hex>-<index, 4 digits>`,
 * e.g. `1795680657123-9f3a1c2e-0007`. They sort by emission time as plain strings
 * (fixed width until the year 2286), the random run part keeps concurrent runs
 * apart (2^32 per millisecond), and the index orders records within one run.
 */
import { randomBytes } from 'node:crypto';

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export function recordId(emittedAtMs: number, runId: string, index: number): string {
  return `${String(emittedAtMs).padStart(13, '0')}-${runId}-${String(index).padStart(4, '0')}`;
}

/** Emission time encoded in an id, or undefined if the id is not of this format. */
export function emittedAt(id: string): number | undefined {
  const match = /^(\d{13})-[0-9a-f]{8}-\d{4}$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
