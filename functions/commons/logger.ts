/**
 * One structured logger for the service. Lines are single JSON objects whose first
 * keys are level, message and function, so they stay readable in the
 * `sls offline start` console and searchable in CloudWatch.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export function createLogger(functionName: string): Logger {
  return new Logger({
    serviceName: 'ml-monitor',
    persistentKeys: { function: functionName },
    logRecordOrder: ['level', 'message', 'function'],
  });
}
