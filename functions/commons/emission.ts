/** Choosing what the features function emits: random data rows under fresh ids. */
import type { DataRow } from './dataset.js';
import { newRunId, recordId } from './ids.js';

export interface EmittedRecord {
  readonly id: string;
  readonly features: readonly number[];
  readonly target: number;
  /** Index of the data row, for tracing a row back to the data set. */
  readonly row: number;
}

export function pickRecords(
  dataset: readonly DataRow[],
  count: number,
  nowMs: number,
  random: () => number = Math.random,
  runId: string = newRunId(),
): EmittedRecord[] {
  if (dataset.length === 0) throw new Error('the data set is empty');
  return Array.from({ length: count }, (_, index) => {
    const row = Math.floor(random() * dataset.length);
    const data = dataset[row] as DataRow;
    return { id: recordId(nowMs, runId, index), features: data.features, target: data.target, row };
  });
}
