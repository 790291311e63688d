/**
 * Progress on stderr while the pipeline runs: one line a second or so, rewritten in
 * place (`\r`) on a terminal, one line each otherwise (CI logs, pipes).
 */
export interface ProgressFigures {
  readonly emitted: number;
  readonly planned: number;
  readonly rows: number;
  readonly recordsPerS: number;
  readonly depth: number;
  readonly elapsedS: number;
}

export function progressLine(figures: ProgressFigures): string {
  const rate = Number.isFinite(figures.recordsPerS) ? Math.round(figures.recordsPerS) : 0;
  return (
    `emitted ${figures.emitted}/${figures.planned} · rows ${figures.rows} · ${rate} rec/s · depth ${figures.depth}` +
    ` · ${Math.round(figures.elapsedS)} s`
  );
}

export class ProgressPrinter {
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  #lastLength = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  update(line: string): void {
    if (this.#tty) {
      const padding = ' '.repeat(Math.max(0, this.#lastLength - line.length));
      this.#stream.write(`\r${line}${padding}`);
      this.#lastLength = line.length;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** Ends an in-place line so what follows starts on its own. */
  done(): void {
    if (this.#tty && this.#lastLength > 0) this.#stream.write('\n');
    this.#lastLength = 0;
  }
}
