/**
 * Pure helpers that turn serverless.yml (already variable-resolved by Serverless) into
 * plain event-source settings: which queue each `sqs` event reads, with which batching,
 * and how the plugin itself reaches the emulator and serverless-offline.
 * Nothing here does I/O, so it is unit-tested on its own.
 */

import { LIMITS } from '../../../functions/commons/platform/settings.js';
import { isRecord } from '../toolbox/isRecord.js';
import { LOCAL_ENDPOINT, LOCAL_REGION, PORTS, STAGE } from '../toolbox/localDefaults.js';

export const DEFAULT_BATCH_SIZE = 10;
/** AWS caps FIFO mappings at 10 records per batch. */
const MAX_FIFO_BATCH_SIZE = 10;
export const DEFAULT_POLLERS = 2;
export const DEFAULT_WAIT_TIME_SECONDS = 20;
/** Serverless' own default when neither the function nor the provider sets `timeout`. */
const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 6;

/** A configuration mistake AWS would also reject; the message says what to change. */
export class EventSourceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventSourceConfigError';
  }
}

/** One `sqs` event of one function, normalised. */
interface SqsEventSettings {
  queueName: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
  /** AWS' `ScalingConfig.MaximumConcurrency`: caps how many batches run at once. */
  maximumConcurrency: number | undefined;
  /** Filter criteria are not emulated; the plugin warns when they are set. */
  hasFilterPatterns: boolean;
}

/** An `sqs` event bound to the function that receives it. */
export interface EventSourceMapping extends SqsEventSettings {
  functionKey: string;
  /** The deployed name (`service-stage-key` unless the function sets `name`), which serverless-offline invokes by. */
  functionName: string;
  functionTimeoutSeconds: number;
}

/** `custom.sqsEventSource` with defaults applied. */
export interface PluginSettings {
  enabled: boolean;
  endpoint: string;
  region: string;
  pollers: number;
  waitTimeSeconds: number;
}

/** The slice of `serverless.service` the helpers read (the framework's Service class satisfies it). */
export interface ServiceLike {
  service?: string | null;
  provider: { stage?: string; region?: string; timeout?: number | string };
  resources?: { Resources?: Record<string, unknown> } | null;
  custom?: Record<string, unknown> | null;
  getAllFunctions(): string[];
  getFunction(functionKey: string): { name?: string; timeout?: number | string; events?: unknown[] };
}

/** `arn:aws:sqs:us-east-1:123456789012:y_true` → `y_true`. */
export function queueNameFromArn(arn: string): string {
  const parts = arn.split(':');
  const name = parts[5];
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !name) {
    throw new EventSourceConfigError(`"${arn}" is not an SQS queue ARN (expected arn:aws:sqs:<region>:<account>:<queue-name>)`);
  }
  return name;
}

/**
 * Resolves the queue name an `sqs` event's `arn` points at. Serverless leaves
 * CloudFormation intrinsics unresolved, so `Fn::GetAtt` is followed to the queue's
 * `QueueName` in `resources.Resources`; `Fn::Sub`/`Fn::Join` work when the name part is literal.
 */
export function resolveQueueName(arn: unknown, resources: Record<string, unknown> | undefined): string {
  if (typeof arn === 'string') return queueNameFromArn(arn);
  if (!isRecord(arn)) throw new EventSourceConfigError(`unsupported sqs arn ${JSON.stringify(arn)}`);
  if ('Fn::GetAtt' in arn) return queueNameFromGetAtt(arn['Fn::GetAtt'], resources);
  if ('Fn::Sub' in arn) return queueNameFromTemplate(renderSub(arn['Fn::Sub']), arn);
  if ('Fn::Join' in arn) return queueNameFromTemplate(renderJoin(arn['Fn::Join']), arn);
  if ('Ref' in arn) {
    throw new EventSourceConfigError(
      `{ Ref: ${JSON.stringify(arn.Ref)} } gives a queue URL, not an ARN; use { 'Fn::GetAtt': [${JSON.stringify(arn.Ref)}, 'Arn'] }`,
    );
  }
  throw new EventSourceConfigError(`unsupported sqs arn ${JSON.stringify(arn)} (use a literal ARN or Fn::GetAtt)`);
}

function queueNameFromGetAtt(getAtt: unknown, resources: Record<string, unknown> | undefined): string {
  // Both spellings CloudFormation accepts: ['Queue', 'Arn'] and 'Queue.Arn'.
  const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : typeof getAtt === 'string' ? getAtt.split('.') : [];
  if (typeof logicalId !== 'string' || attribute !== 'Arn') {
    throw new EventSourceConfigError(`unsupported Fn::GetAtt ${JSON.stringify(getAtt)} (expected [<LogicalId>, 'Arn'])`);
  }
  const resource = resources?.[logicalId];
  if (!isRecord(resource)) {
    throw new EventSourceConfigError(`Fn::GetAtt refers to "${logicalId}", which is not in resources.Resources`);
  }
  if (resource.Type !== undefined && resource.Type !== 'AWS::SQS::Queue') {
    throw new EventSourceConfigError(`resource "${logicalId}" is a ${String(resource.Type)}, not an AWS::SQS::Queue`);
  }
  const queueName = isRecord(resource.Properties) ? resource.Properties.QueueName : undefined;
  if (typeof queueName !== 'string' || queueName === '') {
    // Without it CloudFormation would invent a name, which locally nobody creates.
    throw new EventSourceConfigError(`queue "${logicalId}" needs a literal Properties.QueueName to be polled locally`);
  }
  return queueName;
}

/** Stands in for parts that are only known at deploy time (Ref, ${AWS::Region}, ...). */
const UNKNOWN = '\u0000';

function renderSub(sub: unknown): string | undefined {
  const template = Array.isArray(sub) ? sub[0] : sub;
  return typeof template === 'string' ? template.replace(/\$\{[^}]*\}/g, UNKNOWN) : undefined;
}

function renderJoin(join: unknown): string | undefined {
  if (!Array.isArray(join) || typeof join[0] !== 'string' || !Array.isArray(join[1])) return undefined;
  const [delimiter, parts] = join as [string, unknown[]];
  return parts.map((part) => (typeof part === 'string' ? part : UNKNOWN)).join(delimiter);
}

function queueNameFromTemplate(rendered: string | undefined, original: unknown): string {
  const name = rendered?.split(':').at(-1);
  if (rendered === undefined || !rendered.startsWith('arn:') || !name || name.includes(UNKNOWN)) {
    throw new EventSourceConfigError(
      `cannot tell the queue name from ${JSON.stringify(original)} (its last ARN segment must be a literal name)`,
    );
  }
  return name;
}

/**
 * Normalises one entry of a function's `events`. Returns undefined for non-sqs events;
 * accepts `{ sqs: 'arn' }` and `{ sqs: { arn, batchSize, maximumBatchingWindow, ... } }`.
 */
export function parseSqsEvent(event: unknown, resources: Record<string, unknown> | undefined): SqsEventSettings | undefined {
  if (!isRecord(event) || !('sqs' in event)) return undefined;
  const sqs = event.sqs;
  const config: Record<string, unknown> = isRecord(sqs) ? sqs : { arn: sqs };
  const queueName = resolveQueueName(config.arn, resources);
  const batchSize = readInteger(config.batchSize, 'batchSize', DEFAULT_BATCH_SIZE);
  const maximumBatchingWindowSeconds = readInteger(config.maximumBatchingWindow, 'maximumBatchingWindow', 0);
  validateBatching({ batchSize, maximumBatchingWindowSeconds, fifo: queueName.endsWith('.fifo') });
  const maximumConcurrency =
    config.maximumConcurrency === undefined ? undefined : readInteger(config.maximumConcurrency, 'maximumConcurrency', 2);
  return {
    queueName,
    batchSize,
    maximumBatchingWindowSeconds,
    reportBatchItemFailures: config.functionResponseType === 'ReportBatchItemFailures',
    enabled: config.enabled !== false && config.enabled !== 'false',
    maximumConcurrency,
    hasFilterPatterns: Array.isArray(config.filterPatterns) && config.filterPatterns.length > 0,
  };
}

/** The limits AWS enforces when it creates an SQS event source mapping. */
export function validateBatching(settings: { batchSize: number; maximumBatchingWindowSeconds: number; fifo?: boolean }): void {
  const { batchSize, maximumBatchingWindowSeconds, fifo = false } = settings;
  const maxBatch = fifo ? MAX_FIFO_BATCH_SIZE : LIMITS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatch) {
    throw new EventSourceConfigError(
      `batchSize must be an integer from 1 to ${maxBatch}${fifo ? ' for a FIFO queue' : ''}, got ${batchSize}`,
    );
  }
  const maxWindow = LIMITS.batchingWindowSeconds;
  if (!Number.isInteger(maximumBatchingWindowSeconds) || maximumBatchingWindowSeconds < 0 || maximumBatchingWindowSeconds > maxWindow) {
    throw new EventSourceConfigError(
      `maximumBatchingWindow must be an integer from 0 to ${maxWindow} seconds, got ${maximumBatchingWindowSeconds}`,
    );
  }
  if (batchSize > LIMITS.batchSizeWithoutWindow && maximumBatchingWindowSeconds < 1) {
    throw new EventSourceConfigError(`batchSize ${batchSize} (> 10) needs maximumBatchingWindow of at least 1 second, as on AWS`);
  }
}

/**
 * Every enabled `sqs` event of every function, in serverless.yml order. `stage` (the
 * --stage option) only matters for functions Serverless has not named yet.
 */
export function collectMappings(service: ServiceLike, stage?: string): EventSourceMapping[] {
  const resources = service.resources?.Resources;
  const mappings: EventSourceMapping[] = [];
  for (const functionKey of service.getAllFunctions()) {
    const fn = service.getFunction(functionKey);
    for (const event of fn.events ?? []) {
      const settings = withFunctionContext(functionKey, () => parseSqsEvent(event, resources));
      if (!settings?.enabled) continue;
      mappings.push({
        ...settings,
        functionKey,
        functionName: fn.name ?? `${service.service ?? 'service'}-${stage ?? service.provider.stage ?? STAGE}-${functionKey}`,
        functionTimeoutSeconds: readNumber(fn.timeout ?? service.provider.timeout, 'timeout', DEFAULT_FUNCTION_TIMEOUT_SECONDS),
      });
    }
  }
  return mappings;
}

function withFunctionContext<T>(functionKey: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof EventSourceConfigError) {
      throw new EventSourceConfigError(`functions.${functionKey}.events sqs: ${err.message}`);
    }
    throw err;
  }
}

/** `custom.sqsEventSource` with defaults; the endpoint falls back to AWS_ENDPOINT_URL like the AWS CLI does. */
export function resolvePluginSettings(
  custom: unknown,
  providerRegion: unknown,
  env: Readonly<Record<string, string | undefined>>,
): PluginSettings {
  const raw = isRecord(custom) ? custom : {};
  const waitTimeSeconds = readInteger(raw.waitTimeSeconds, 'custom.sqsEventSource.waitTimeSeconds', DEFAULT_WAIT_TIME_SECONDS);
  if (waitTimeSeconds < 0 || waitTimeSeconds > LIMITS.waitTimeSeconds) {
    throw new EventSourceConfigError(`custom.sqsEventSource.waitTimeSeconds must be 0..${LIMITS.waitTimeSeconds}, got ${waitTimeSeconds}`);
  }
  const pollers = readInteger(raw.pollers, 'custom.sqsEventSource.pollers', DEFAULT_POLLERS);
  if (pollers < 1) throw new EventSourceConfigError(`custom.sqsEventSource.pollers must be at least 1, got ${pollers}`);
  return {
    enabled: raw.enabled !== false && raw.enabled !== 'false',
    endpoint: nonEmptyString(raw.endpoint) ?? nonEmptyString(env.AWS_ENDPOINT_URL) ?? LOCAL_ENDPOINT,
    region: nonEmptyString(raw.region) ?? nonEmptyString(providerRegion) ?? LOCAL_REGION,
    pollers,
    waitTimeSeconds,
  };
}

/**
 * Where serverless-offline's Lambda API listens: `--lambdaPort`, else
 * `custom.serverless-offline.lambdaPort`, else the local default (3002). The host follows `--host`
 * the same way; wildcard and default hosts are reached through 127.0.0.1.
 */
export function resolveLambdaEndpoint(cliOptions: Readonly<Record<string, unknown>>, offlineCustom: unknown): string {
  const offline = isRecord(offlineCustom) ? offlineCustom : {};
  const port = readInteger(cliOptions.lambdaPort ?? offline.lambdaPort, 'lambdaPort', PORTS.lambda);
  const configuredHost = nonEmptyString(cliOptions.host) ?? nonEmptyString(offline.host);
  const host =
    configuredHost === undefined || ['localhost', '0.0.0.0', '::', '[::]'].includes(configuredHost) ? '127.0.0.1' : configuredHost;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function readInteger(value: unknown, name: string, fallback: number): number {
  const number = readNumber(value, name, fallback);
  if (!Number.isInteger(number)) throw new EventSourceConfigError(`${name} must be an integer, got ${JSON.stringify(value)}`);
  return number;
}

/** Numbers from `${env:...}` variables arrive as strings, so numeric strings count. */
function readNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new EventSourceConfigError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return number;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
