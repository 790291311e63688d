/**
 * The diabetes data set (442 rows, 10 scaled features, one target), as shipped in
 * functions/commons/model/diabetes.csv. Parsing is pure; the features handler bundles the file
 * as text (esbuild's text loader) so no file system is needed on Lambda.
 */
export const FEATURE_NAMES = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;
const TARGET = 'target';

export interface DataRow {
  readonly features: readonly number[];
  readonly target: number;
}

/** A feature vector by name, as predictions carry their inputs to the monitor. */
export function namedFeatures(vector: readonly number[]): Record<string, number> {
  return Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, vector[i] as number]));
}

export function parseDataset(csvText: string): DataRow[] {
  const lines = csvText.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines.shift()?.split(',') ?? [];
  const expected = [...FEATURE_NAMES, TARGET];
  if (header.join(',') !== expected.join(',')) {
    throw new Error(`unexpected data set header "${header.join(',')}", expected "${expected.join(',')}"`);
  }
  return lines.map((line, index) => {
    const values = line.split(',').map(Number);
    if (values.length !== expected.length || values.some((v) => !Number.isFinite(v))) {
      throw new Error(`data set line ${index + 2} is not ${expected.length} numbers: "${line}"`);
    }
    return { features: values.slice(0, FEATURE_COUNT), target: values[FEATURE_COUNT] as number };
  });
}
