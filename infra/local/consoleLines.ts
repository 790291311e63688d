/**
 * What `npm start` shows of `sls offline start`'s output. Each invocation already
 * says what it did in one line of its own (functions/commons/platform/logger.ts), so
 * the routine lines that would repeat it are left out of the console:
 * serverless-offline's "(λ: fn) RequestId … Duration …", its "POST /truths (λ: ingest)"
 * for each HTTP request (with the two blank lines it prints before it) and
 * "Successfully invoked scheduled function: [fn]", and the event source's "… all
 * succeeded". Failures, warnings and everything else pass through unchanged.
 */

/** Lines of sls offline's output that only repeat an invocation's own line. */
const ROUTINE_LINES = [
  // biome-ignore lint/suspicious/noControlCharactersInRegex: serverless colours its lines with ANSI escapes
  /^(\u001b\[[0-9;]*m)*\(λ: [^)]+\) RequestId: \S+\s+Duration: [\d.]+ ms\s+Billed Duration: \d+ ms(\u001b\[[0-9;]*m)*$/,
  /^sqs → \S+: \d+ messages? from \S+, all succeeded$/,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: serverless colours its lines with ANSI escapes
  /^(\u001b\[[0-9;]*m)*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ \(λ: [^)]+\)(\u001b\[[0-9;]*m)*$/,
  /^Successfully invoked scheduled function: \[[^\]]+\]$/,
  /^\s*$/,
];

export function isRoutineLine(line: string): boolean {
  return ROUTINE_LINES.some((pattern) => pattern.test(line));
}

/**
 * A writer for a child's output that passes on whole lines except routine ones.
 * Output arrives in chunks that may split a line; the part after the last newline
 * waits for the next chunk (or `flush`).
 */
export function consoleLineFilter(write: (text: string) => void): { push(chunk: string): void; flush(): void } {
  let partial = '';
  return {
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      const kept = lines.filter((line) => !isRoutineLine(line));
      if (kept.length > 0) write(`${kept.join('\n')}\n`);
    },
    flush() {
      if (partial !== '' && !isRoutineLine(partial)) write(partial);
      partial = '';
    },
  };
}
