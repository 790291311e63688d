/**
 * Reads a backfill CSV file (`id,value[,model][,timestamp][,feature.<name>…]`, a header
 * line first) one line at a time, so a file of millions of rows takes no more memory
 * than a line. Each row is checked by the API's own rules (checkIngestItem) and comes
 * out as the item to send or as the reason it is refused, with its line number.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkIngestItem, type IngestKind } from '../../../functions/commons/ingest/ingestRequest.js';
import { checkMessage, Features, MAX_FEATURES, type ScalarMessage } from '../../../functions/commons/messaging/messageSchemas.js';

export type CsvRow =
  | { readonly line: number; readonly item: ScalarMessage }
  | { readonly line: number; readonly id?: string; readonly reason: string };

/** The file's header is wrong: nothing of it is sent. */
export class CsvHeaderError extends Error {}

/** A number as a CSV cell spells one (the reference tool reads feature cells by it too). */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function openCsv(path: string): Readable {
  return createReadStream(path, { encoding: 'utf8' });
}

/**
 * The rows of `input` (a file's stream), in order. A truths file has the columns
 * id,value and optionally timestamp; a predictions file id,value and optionally model
 * and timestamp, in any order after id,value (an empty model or timestamp: none; a
 * row without a timestamp takes the time the API receives it), and any number of
 * feature columns, `feature.<name>` (see FEATURE_PREFIX). Blank lines are skipped.
 * Throws CsvHeaderError when the first line is not a header.
 */
export async function* readCsvRows(input: Readable, kind: IngestKind): AsyncGenerator<CsvRow> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let header: Header | undefined;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const cells = text.split(',').map(unquote);
    if (header === undefined) {
      header = checkHeader(cells, kind);
      continue;
    }
    yield readRow(cells, header, line, kind);
  }
  if (header === undefined) throw new CsvHeaderError(`no header line: the file is empty (expected ${expectedHeader(kind)})`);
}

const OPTIONAL_COLUMNS: Readonly<Record<IngestKind, readonly string[]>> = { truths: ['timestamp'], predictions: ['model', 'timestamp'] };

/**
 * A prediction's inputs come in columns named `feature.<name>`, the name kept as written
 * (a reference names its features the same way, case and all). A prefix, not bare
 * names as a reference CSV has them: here every other column has a meaning, so a
 * misspelt `timestmp` or `modle` is still a header error rather than a feature sent
 * with every row, and a feature may be called `model` or `timestamp`.
 */
const FEATURE_PREFIX = 'feature.';

/** The file's columns: `id`, `value` and the optional ones lower-cased, and where each feature is. */
interface Header {
  readonly columns: readonly string[];
  readonly features: readonly { readonly name: string; readonly index: number }[];
}

function checkHeader(cells: readonly string[], kind: IngestKind): Header {
  const isFeature = (cell: string) => cell.toLowerCase().startsWith(FEATURE_PREFIX);
  // The prefix in lower case like the other columns' names, so `Feature.a` and `feature.a` are one column twice.
  const columns = cells.map((cell) => (isFeature(cell) ? FEATURE_PREFIX + cell.slice(FEATURE_PREFIX.length) : cell.toLowerCase()));
  const [id, value, ...rest] = columns;
  const optional = OPTIONAL_COLUMNS[kind];
  const wrong = (hint = '') =>
    new CsvHeaderError(`the first line must be the header ${expectedHeader(kind)}, not ${JSON.stringify(cells.join(','))}${hint}`);
  if (kind === 'truths' && rest.some(isFeature)) throw wrong(' (a truth carries no features: only predictions do)');
  const known = rest.every((cell) => optional.includes(cell) || isFeature(cell));
  if (id !== 'id' || value !== 'value' || !known) {
    throw wrong(kind === 'truths' && rest.includes('model') ? ' (a truth carries no model version)' : '');
  }
  const twice = rest.find((cell, i) => rest.indexOf(cell) !== i);
  if (twice !== undefined) throw wrong(` (the column ${JSON.stringify(twice)} appears twice)`);
  const features = columns.flatMap((cell, index) => (isFeature(cell) ? [{ name: cell.slice(FEATURE_PREFIX.length), index }] : []));
  if (features.length > MAX_FEATURES) throw wrong(` (${features.length} feature columns: at most ${MAX_FEATURES})`);
  // A name the API would refuse on every row is refused once, here.
  const badNames = features.flatMap(({ name }) => {
    const checked = checkMessage(Features, { [name]: 0 });
    return checked.ok ? [] : [`${JSON.stringify(FEATURE_PREFIX + name)}: ${checked.reason.slice(name.length + 2)}`];
  });
  if (badNames.length > 0) throw wrong(` (${badNames.join('; ')})`);
  return { columns, features };
}

function expectedHeader(kind: IngestKind): string {
  return kind === 'truths'
    ? '"id,value" (and optionally ",timestamp")'
    : '"id,value" (and optionally ",model", ",timestamp" and ",feature.<name>" columns)';
}

function readRow(cells: readonly string[], header: Header, line: number, kind: IngestKind): CsvRow {
  const { columns } = header;
  const id = cells[0] ?? '';
  if (cells.length !== columns.length) {
    return { line, id, reason: `${cells.length} column(s), the header has ${columns.length} (${columns.join(',')})` };
  }
  const value = cells[1] ?? '';
  if (!NUMBER.test(value.trim())) return { line, id, reason: `value ${JSON.stringify(value)} is not a number` };
  const cell = (name: string) => {
    const text = cells[columns.indexOf(name)];
    return text === undefined || text === '' ? undefined : text;
  };
  const model = cell('model');
  const timestamp = cell('timestamp');
  // A number's cell is a number, any other a category's name (as in a reference CSV); an empty one: not known.
  const features = header.features.map(({ name, index }) => [name, cells[index] ?? ''] as const).filter(([, text]) => text !== '');
  // Said here, as for `value`: the API's own reason for a number past a double's range is zod's bare "Invalid input".
  const huge = features.find(([, text]) => NUMBER.test(text) && !Number.isFinite(Number(text)));
  if (huge !== undefined) return { line, id, reason: `${FEATURE_PREFIX}${huge[0]} ${JSON.stringify(huge[1])} is not a finite number` };
  const item = {
    id,
    body: Number(value),
    ...(model === undefined ? {} : { model }),
    // Epoch milliseconds as a number; anything else (ISO 8601) as the text the API reads.
    ...(timestamp === undefined ? {} : { timestamp: NUMBER.test(timestamp) ? Number(timestamp) : timestamp }),
    ...(features.length === 0
      ? {}
      : { features: Object.fromEntries(features.map(([name, text]) => [name, NUMBER.test(text) ? Number(text) : text])) }),
  };
  const checked = checkIngestItem(kind, item);
  // The API's reasons name its fields `body` and `features.<name>`; here they are the columns `value` and `feature.<name>`.
  return checked.ok
    ? { line, item: checked.value }
    : { line, id, reason: checked.reason.replace(/(^|; )body\b/g, '$1value').replace(/(^|; )features\./g, `$1${FEATURE_PREFIX}`) };
}

/** `"abc"` → `abc`: a spreadsheet may quote any cell (ids and models hold no comma or quote). */
export function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replaceAll('""', '"') : trimmed;
}
