/**
 * Reading `sls offline start`'s console: serverless-offline prints one line per
 * finished invocation, `(λ: metric) RequestId: … Duration: 12.34 ms  Billed Duration: 13 ms`,
 * and our SQS event source one per batch, `sqs → metric: 1000 messages from y_true, all succeeded`.
 * Pure apart from the counters it keeps.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes start with ESC; they are what this strips
const ANSI = /\u001b\[[0-9;]*m/g;

export interface InvocationLine {
  readonly fn: string;
  readonly durationMs: number;
}

export function parseInvocationLine(line: string): InvocationLine | undefined {
  const match = /\(λ: ([^)]+)\) RequestId: \S+\s+Duration: ([\d.]+) ms/.exec(line.replace(ANSI, ''));
  return match ? { fn: match[1] as string, durationMs: Number(match[2]) } : undefined;
}

export interface BatchLine {
  readonly fn: string;
  readonly messages: number;
  readonly queue: string;
  readonly failed: boolean;
}

export function parseBatchLine(line: string): BatchLine | undefined {
  const match = /sqs → ([\w-]+): (\d+) messages? from (\S+?), (.*)$/.exec(line.replace(ANSI, ''));
  if (!match) return undefined;
  return {
    fn: match[1] as string,
    messages: Number(match[2]),
    queue: match[3] as string,
    failed: !(match[4] ?? '').startsWith('all succeeded'),
  };
}

/** Splits a stream of chunks into whole lines. */
export class LineSplitter {
  #rest = '';

  push(chunk: string, onLine: (line: string) => void): void {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  }
}

export interface FunctionFigures {
  invocations: number;
  totalDurationMs: number;
}

export interface QueueBatches {
  batches: number;
  messages: number;
  /** Batches the event source reported as failed or partly failed. */
  failedBatches: number;
}

/** Tallies invocations (with durations) per function and batches per queue from the console. */
export class OfflineConsole {
  readonly #lines = new LineSplitter();
  #functions: Record<string, FunctionFigures> = {};
  #queues: Record<string, QueueBatches> = {};
  /** Lines that look like trouble (warnings, errors, failed invocations), kept for the report. */
  readonly problems: string[] = [];

  push(chunk: string): void {
    this.#lines.push(chunk, (line) => this.#line(line));
  }

  reset(): void {
    this.#functions = {};
    this.#queues = {};
  }

  functions(): Readonly<Record<string, FunctionFigures>> {
    return structuredClone(this.#functions);
  }

  queues(): Readonly<Record<string, QueueBatches>> {
    return structuredClone(this.#queues);
  }

  invocations(): number {
    return Object.values(this.#functions).reduce((sum, figures) => sum + figures.invocations, 0);
  }

  #line(line: string): void {
    const invocation = parseInvocationLine(line);
    if (invocation) {
      const figures = this.#functions[invocation.fn] ?? { invocations: 0, totalDurationMs: 0 };
      this.#functions[invocation.fn] = figures;
      figures.invocations++;
      figures.totalDurationMs += invocation.durationMs;
      return;
    }
    const batch = parseBatchLine(line);
    if (batch) {
      const figures = this.#queues[batch.queue] ?? { batches: 0, messages: 0, failedBatches: 0 };
      this.#queues[batch.queue] = figures;
      figures.batches++;
      figures.messages += batch.messages;
      if (batch.failed) {
        figures.failedBatches++;
        this.#problem(line);
      }
      return;
    }
    if (/\b(warn|warning|error|fail(ed)?|timeout|✖)\b/i.test(line.replace(ANSI, ''))) this.#problem(line);
  }

  #problem(line: string): void {
    if (this.problems.length < 200) this.problems.push(line.replace(ANSI, '').trim());
  }
}
