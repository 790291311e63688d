/**
 * A log's text checked line by line, pure: the header, the good rows, and every line
 * that is not a row with its line number and why. Nothing is trusted blindly: a copy
 * in LOGS_DIR may have been edited, cut short by a full disk or a crash, or had its
 * header deleted, and one bad line must neither reach the bucket nor hide the good
 * rows around it.
 */
import type { LogSpec } from './logFiles.js';

export interface RejectedLine {
  /** 1-based, as an editor numbers the file's lines. */
  readonly lineNumber: number;
  readonly text: string;
  readonly reason: string;
}

export interface CheckedLog {
  /** The good rows, in the file's order, without the header. */
  readonly rows: readonly string[];
  /** The line number of each of `rows`. */
  readonly rowLineNumbers: readonly number[];
  readonly rejected: readonly RejectedLine[];
  /** The first line was not the header (deleted, or itself damaged): the rows need it put back. */
  readonly headerRepaired: boolean;
  /** Whether the file is already exactly `header + rows`, one line each: nothing to repair. */
  readonly clean: boolean;
}

export const idOfLine = (line: string): string => {
  const comma = line.indexOf(',');
  return comma === -1 ? line : line.slice(0, comma);
};

/** How a file's lines are checked: its header, and why a line is not one of its rows. */
export type LineRules = Pick<LogSpec, 'header' | 'problemOf'>;

/**
 * Checks a whole log file's text (the one-file copy by its spec, a piece by its own
 * header and columns). Blank lines are no data and are dropped without a word; a CR
 * before a newline is dropped too.
 */
export function checkLog(spec: LineRules, text: string): CheckedLog {
  const lines = text.split('\n');
  const cutShort = !text.endsWith('\n') && text !== '';
  if (!cutShort) lines.pop();
  const rows: string[] = [];
  const rowLineNumbers: number[] = [];
  const rejected: RejectedLine[] = [];
  const lineOfId = new Map<string, number>();
  let headerRepaired = false;
  let clean = !cutShort;
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line !== raw || line === '') clean = false;
    if (line === '') return;
    if (index === 0 && line === spec.header) return;
    let reason = line === spec.header ? 'the header again' : spec.problemOf(line);
    if (reason === undefined) {
      const first = lineOfId.get(idOfLine(line));
      if (first !== undefined) reason = `the id of line ${first} again`;
    }
    if (index === 0) {
      headerRepaired = true;
      // A first line that is no row either is a damaged header: it is moved aside like any other.
      if (reason !== undefined) reason = `not the header ${spec.header} (${reason})`;
    }
    if (reason !== undefined) {
      const last = index === lines.length - 1 && cutShort;
      rejected.push({ lineNumber, text: line, reason: last ? `cut short: the file ends inside this line (${reason})` : reason });
      return;
    }
    lineOfId.set(idOfLine(line), lineNumber);
    rows.push(line);
    rowLineNumbers.push(lineNumber);
  });
  if (lines.length === 0) clean = text === '';
  return { rows, rowLineNumbers, rejected, headerRepaired, clean: clean && rejected.length === 0 && !headerRepaired };
}

/** "line 1,012 (not the 4 fields …)" or "lines 7, 9 and 3 more": the first few, for one console line. */
export function describeRejected(rejected: readonly RejectedLine[], shown = 3): string {
  const first = rejected.slice(0, shown).map((line) => `${line.lineNumber.toLocaleString('en-US')}: ${line.reason}`);
  const more = rejected.length > shown ? `, and ${(rejected.length - shown).toLocaleString('en-US')} more` : '';
  return `line${rejected.length === 1 ? '' : 's'} ${first.join('; ')}${more}`;
}
