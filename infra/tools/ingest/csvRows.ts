/**
 * Reads a backfill CSV file (`id,value[,model][,timestamp]`, a header line first) one line at a
 * time, so a file of millions of rows takes no more memory than a line. Each row is
 * checked by the API's own rules (checkIngestItem) and comes out as the item to send
 * or as the reason it is refused, with its line number.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkIngestItem, type IngestKind } from '../../../functions/commons/ingest/ingestRequest.js';
import type { ScalarMessage } from '../../../functions/commons/messaging/messageSchemas.js';

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
 * row without a timestamp takes the time the API receives it). Blank lines are
 * skipped. Throws CsvHeaderError when the first line is not a header.
 */
export async function* readCsvRows(input: Readable, kind: IngestKind): AsyncGenerator<CsvRow> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let columns: readonly string[] | undefined;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const cells = text.split(',').map(unquote);
    if (columns === undefined) {
      columns = checkHeader(
        cells.map((cell) => cell.toLowerCase()),
        kind,
      );
      continue;
    }
    yield readRow(cells, columns, line, kind);
  }
  if (columns === undefined) throw new CsvHeaderError(`no header line: the file is empty (expected ${expectedHeader(kind)})`);
}

const OPTIONAL_COLUMNS: Readonly<Record<IngestKind, readonly string[]>> = { truths: ['timestamp'], predictions: ['model', 'timestamp'] };

function checkHeader(cells: readonly string[], kind: IngestKind): readonly string[] {
  const [id, value, ...rest] = cells;
  const optional = OPTIONAL_COLUMNS[kind];
  if (id === 'id' && value === 'value' && rest.every((cell) => optional.includes(cell)) && new Set(rest).size === rest.length) return cells;
  const hint = kind === 'truths' && rest.includes('model') ? ' (a truth carries no model version)' : '';
  throw new CsvHeaderError(`the first line must be the header ${expectedHeader(kind)}, not ${JSON.stringify(cells.join(','))}${hint}`);
}

function expectedHeader(kind: IngestKind): string {
  return kind === 'truths' ? '"id,value" (and optionally ",timestamp")' : '"id,value" (and optionally ",model" and ",timestamp")';
}

function readRow(cells: readonly string[], columns: readonly string[], line: number, kind: IngestKind): CsvRow {
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
  const item = {
    id,
    body: Number(value),
    ...(model === undefined ? {} : { model }),
    // Epoch milliseconds as a number; anything else (ISO 8601) as the text the API reads.
    ...(timestamp === undefined ? {} : { timestamp: NUMBER.test(timestamp) ? Number(timestamp) : timestamp }),
  };
  const checked = checkIngestItem(kind, item);
  // The API's reasons name its field `body`; here it is the column `value`.
  return checked.ok ? { line, item: checked.value } : { line, id, reason: checked.reason.replace(/(^|; )body\b/g, '$1value') };
}

/** `"abc"` → `abc`: a spreadsheet may quote any cell (ids and models hold no comma or quote). */
export function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replaceAll('""', '"') : trimmed;
}
