/**
 * A reference CSV file (`npm run reference`), pure: a header naming the columns, `id`,
 * `y_pred` and `y_true` among them and every other column a feature; a numeric cell is a
 * number, any other a category's name, an empty one a missing value. Unlike a backfill,
 * a reference is all or nothing: the first bad line stops it, named by its number.
 */
import type { FeatureValue, ReferenceRow } from '../../../functions/commons/drift/modelReference.js';
import { NUMBER, unquote } from '../ingest/csvRows.js';

/** The file cannot make a reference; the message names the line. */
export class ReferenceCsvError extends Error {}

const REQUIRED = ['id', 'y_pred', 'y_true'] as const;

export interface ReferenceCsv {
  readonly rows: ReferenceRow[];
  /** The feature columns, in the file's order. */
  readonly features: readonly string[];
}

export function parseReferenceCsv(text: string): ReferenceCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw new ReferenceCsvError('the file is empty: the first line must be a header id,<features…>,y_pred,y_true');
  const columns = (lines[headerIndex] as string).split(',').map(unquote);
  const missing = REQUIRED.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new ReferenceCsvError(
      `line ${headerIndex + 1}: the header has no ${missing.join(', ')} column${missing.length === 1 ? '' : 's'} (it needs id, y_pred, y_true and the features), got ${JSON.stringify(columns.join(','))}`,
    );
  }
  const duplicate = columns.find((name, i) => columns.indexOf(name) !== i);
  if (duplicate !== undefined)
    throw new ReferenceCsvError(`line ${headerIndex + 1}: the column ${JSON.stringify(duplicate)} appears twice`);
  if (columns.includes('')) throw new ReferenceCsvError(`line ${headerIndex + 1}: a column has no name`);
  const features = columns.filter((name) => !(REQUIRED as readonly string[]).includes(name));
  const at = (name: string) => columns.indexOf(name);
  const rows: ReferenceRow[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const cells = line.split(',').map(unquote);
    const where = `line ${i + 1}`;
    if (cells.length !== columns.length) throw new ReferenceCsvError(`${where}: ${cells.length} cells, the header has ${columns.length}`);
    const number = (name: 'y_pred' | 'y_true') => {
      const cell = cells[at(name)] as string;
      if (!NUMBER.test(cell)) throw new ReferenceCsvError(`${where}: ${name} ${JSON.stringify(cell)} is not a number`);
      return Number(cell);
    };
    const values: [string, FeatureValue][] = [];
    for (const name of features) {
      const cell = cells[at(name)] as string;
      if (cell !== '') values.push([name, NUMBER.test(cell) ? Number(cell) : cell]);
    }
    rows.push({ features: Object.fromEntries(values), yPred: number('y_pred'), yTrue: number('y_true') });
  }
  return { rows, features };
}
