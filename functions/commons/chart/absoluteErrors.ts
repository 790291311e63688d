/**
 * The absolute errors of metric_log.csv, kept by a warm plot container between runs
 * so each run parses only the lines compaction appended, not the whole log.
 */
import { parseMetricLine, parseMetricLog } from '../logs/rowFormat.js';

export class ErrorSeries {
  #values: number[] = [];
  #sum = 0;
  #lastSeq = 0;

  get count(): number {
    return this.#values.length;
  }

  get values(): readonly number[] {
    return this.#values;
  }

  get mean(): number {
    return this.#values.length === 0 ? Number.NaN : this.#sum / this.#values.length;
  }

  /** Takes a compaction's result: its appended lines if they follow on, else the whole text. */
  update(log: { readonly appended: readonly string[]; readonly text: string; readonly lastSeq: number }): void {
    if (log.lastSeq === this.#lastSeq) return;
    if (log.lastSeq - log.appended.length === this.#lastSeq) {
      for (const line of log.appended) this.#add(parseMetricLine(line).absoluteError);
    } else {
      this.#values = [];
      this.#sum = 0;
      for (const row of parseMetricLog(log.text)) this.#add(row.absoluteError);
    }
    this.#lastSeq = log.lastSeq;
  }

  #add(value: number): void {
    this.#values.push(value);
    this.#sum += value;
  }
}
