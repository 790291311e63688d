/**
 * One structured logger for the service (AWS Lambda Powertools' Logger).
 *
 * On AWS each line is one JSON object whose first keys are level, message and
 * function, searchable in CloudWatch. Under `sls offline start` (serverless-offline
 * sets IS_OFFLINE=true in the functions' environment) each event is one short
 * readable line instead:
 *
 *     12:01:03 metric    INFO  Halves recorded halves=10 rows=5 duplicates=0
 *
 * The line's fields are chosen by a custom log formatter (Powertools' documented
 * `logFormatter` option); Powertools always prints a formatted item as JSON, so the
 * local logger overrides the one protected method that prints it.
 */
import { LogFormatter, Logger, LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

export function createLogger(functionName: string, env: Readonly<Record<string, string | undefined>> = process.env): Logger {
  if (env.IS_OFFLINE === 'true') {
    return new ConsoleLineLogger({
      serviceName: 'ml-monitor',
      persistentKeys: { function: functionName },
      logFormatter: new ConsoleLineFormatter(),
    });
  }
  return new Logger({
    serviceName: 'ml-monitor',
    persistentKeys: { function: functionName },
    logRecordOrder: ['level', 'message', 'function'],
  });
}

/** Keeps, in order: time, function, level, message, then the call's own keys (no service, no sampling rate). */
export class ConsoleLineFormatter extends LogFormatter {
  public formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const { function: functionName, ...rest } = additionalLogAttributes;
    return new LogItem({
      attributes: { time: attributes.timestamp, function: functionName, level: attributes.logLevel, message: attributes.message },
    }).addAttributes(rest);
  }
}

/** Prints the formatter's item as one line of text instead of JSON. */
class ConsoleLineLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const line = `${formatConsoleLine(log.getAttributes())}\n`;
    if (logLevel >= LogLevelThreshold.WARN) process.stderr.write(line);
    else process.stdout.write(line);
  }
}

/** `12:01:03 metric    INFO  Halves recorded halves=10 rows=5`; pure, for the tests. */
export function formatConsoleLine(attributes: LogAttributes): string {
  const { time, function: functionName, level, message, ...rest } = attributes;
  const clock = time instanceof Date ? time.toTimeString().slice(0, 8) : String(time ?? '');
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${formatValue(value)}`);
  return [clock, String(functionName ?? '').padEnd(9), String(level ?? '').padEnd(5), String(message ?? ''), ...pairs].join(' ');
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 300 ? `${json.slice(0, 300)}…` : json;
}
