/**
 * Serverless plugin: an SQS event source mapping for `serverless offline`.
 * serverless-offline itself never polls SQS; this starts one SqsEventSourcePoller per
 * enabled `sqs` event and invokes the function through serverless-offline's Lambda API.
 *
 * Why our own: the usual plugin, serverless-offline-sqs, ignores a handler's
 * `batchItemFailures` and deletes the whole batch (CoorpAcademy/serverless-plugins
 * issue 221, open since 2022; the pull request that would close it, 251, was never
 * merged), while the pipeline's handlers report partial batch failures.
 *
 * Lifecycle (serverless-offline 14, as 13, src/ServerlessOffline.js):
 * - `offline start`: its `offline:start:init` hook starts the Lambda HTTP server, `ready`
 *   waits for SIGINT/SIGTERM, `end` halts and calls process.exit(0). We validate in
 *   `before:offline:start:init`, start in `after:offline:start:init` (after every
 *   plugin's init, so regardless of plugin order the server is up) and stop in
 *   `before:offline:start:end` (its `end` exits the process).
 * - plain `offline`: its `offline:start` hook runs init/ready/end itself and exits, so
 *   no later hook fires. We start in `before:offline:start`, waiting in the background
 *   for the Lambda API to answer, and stop on SIGINT/SIGTERM.
 */

import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localSqs } from '../cloud/localClients.js';
import { answersHttp } from '../cloud/net.js';
import { readLocalSetting } from '../settings.js';
import { invoke } from '../toolbox/invoke.js';
import { nextDelay, waitFor } from '../toolbox/retry.js';
import {
  collectMappings,
  EventSourceConfigError,
  type EventSourceMapping,
  type PluginSettings,
  resolveLambdaEndpoint,
  resolvePluginSettings,
  type ServiceLike,
} from './config.js';
import { describeError, describeSqsError, type EventSourceLogger, OutageReporter } from './outage.js';
import { BACKOFF, SqsEventSourcePoller, sleepUnlessAborted } from './poller.js';

/** The levels of Serverless' plugin `log` used here. */
type ServerlessLog = Record<'debug' | 'notice' | 'warning' | 'error', (message: string) => void>;

interface ServerlessLike {
  service: ServiceLike;
  /** `serverless.classes.Error` is ServerlessError: shown without a stack trace. */
  classes?: { Error?: new (message: string) => Error };
  configSchemaHandler?: { defineCustomProperties(schema: object): void };
}

/** The validated configuration, read once. */
interface Prepared {
  settings: PluginSettings;
  mappings: EventSourceMapping[];
  lambdaEndpoint: string;
}

interface ResolvedQueue {
  url: string;
  arn: string;
  visibilityTimeoutSeconds: number | undefined;
}

/** Fallback account id in a made-up ARN; LocalStack's default (moto's is 123456789012). */
const LOCAL_ACCOUNT_ID = '000000000000';

/** Lets Serverless validate `custom.sqsEventSource` (numbers may arrive as strings from `${env:...}`). */
const CUSTOM_SCHEMA = {
  properties: {
    sqsEventSource: {
      type: 'object',
      properties: {
        endpoint: { type: 'string' },
        region: { type: 'string' },
        pollers: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] },
        waitTimeSeconds: { anyOf: [{ type: 'integer', minimum: 0, maximum: 20 }, { type: 'string' }] },
        enabled: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
      },
      additionalProperties: false,
    },
  },
};

export default class SqsEventSourcePlugin {
  readonly hooks: Record<string, () => Promise<void>>;
  readonly #serverless: ServerlessLike;
  readonly #cliOptions: Readonly<Record<string, unknown>>;
  readonly #logger: EventSourceLogger;
  #prepared: Prepared | undefined;
  #abort = new AbortController();
  #sqs: SQSClient | undefined;
  #starting: Promise<void>[] = [];
  #pollers: SqsEventSourcePoller[] = [];
  #lambdaReady: Promise<boolean> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #onSignal = (): void => void this.stop();

  constructor(serverless: ServerlessLike, cliOptions: Record<string, unknown>, { log }: { log: ServerlessLog }) {
    this.#serverless = serverless;
    this.#cliOptions = cliOptions;
    // Per-batch lines are notices so they show without --verbose, like serverless-offline's own.
    this.#logger = { debug: (m) => log.debug(m), info: (m) => log.notice(m), warn: (m) => log.warning(m), error: (m) => log.error(m) };
    serverless.configSchemaHandler?.defineCustomProperties(CUSTOM_SCHEMA);
    this.hooks = {
      'before:offline:start:init': async () => this.#prepare(),
      'after:offline:start:init': async () => this.#start(),
      'before:offline:start': async () => {
        this.#prepare();
        this.#start();
      },
      'before:offline:start:end': () => this.stop(),
    };
  }

  /**
   * Stops every poller (aborting long polls, letting in-flight invocations finish).
   * A signal and the end hook may both call it; both then wait for the same shutdown.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    process.off('SIGINT', this.#onSignal).off('SIGTERM', this.#onSignal);
    this.#abort.abort();
    await Promise.allSettled(this.#starting);
    const pollers = this.#pollers;
    this.#starting = [];
    this.#pollers = [];
    await Promise.allSettled(pollers.map((poller) => poller.stop()));
    this.#sqs?.destroy();
    this.#sqs = undefined;
    if (pollers.length > 0) this.#logger.debug(`sqs event source: stopped ${pollers.length} poller(s)`);
  }

  /** Reads and validates the configuration once, so mistakes fail the command before anything starts. */
  #prepare(): void {
    if (this.#prepared) return;
    const service = this.#serverless.service;
    const custom = service.custom ?? {};
    try {
      const settings = resolvePluginSettings(custom.sqsEventSource, service.provider.region, {
        AWS_ENDPOINT_URL: readLocalSetting('awsEndpoint'),
      });
      const lambdaEndpoint = resolveLambdaEndpoint(this.#cliOptions, custom['serverless-offline']);
      // The functions invoke each other (maintain has plot draw) through the SDK's own
      // variable; serverless-offline hands them this process's environment (localEnvironment).
      process.env.AWS_ENDPOINT_URL_LAMBDA ??= lambdaEndpoint;
      this.#prepared = {
        settings,
        mappings: settings.enabled ? collectMappings(service, stringOption(this.#cliOptions.stage)) : [],
        // The bench counts invocations at its recording proxy, which forwards them here (bench/pipeline.ts).
        lambdaEndpoint: readLocalSetting('invokeVia') ?? lambdaEndpoint,
      };
    } catch (err) {
      if (err instanceof EventSourceConfigError) throw this.#serverlessError(`sqs event source: ${err.message}`);
      throw err;
    }
  }

  /** Starts every mapping in the background: a missing queue or a slow Lambda API must not block serverless-offline. */
  #start(): void {
    const prepared = this.#prepared;
    if (!prepared || this.#starting.length > 0 || this.#pollers.length > 0) return;
    if (!prepared.settings.enabled) {
      this.#logger.info('sqs event source: disabled by custom.sqsEventSource.enabled');
      return;
    }
    if (prepared.mappings.length === 0) return;
    this.#abort = new AbortController();
    this.#stopping = undefined;
    this.#lambdaReady = undefined;
    this.#sqs = localSqs(prepared.settings.endpoint, prepared.settings.region);
    process.once('SIGINT', this.#onSignal).once('SIGTERM', this.#onSignal);
    const signal = this.#abort.signal;
    this.#starting = prepared.mappings.map((mapping) =>
      this.#startMapping(mapping, prepared, signal).catch((err: unknown) => {
        this.#logger.error(`sqs → ${mapping.functionKey}: could not start polling ${mapping.queueName}: ${describeError(err)}`);
      }),
    );
  }

  async #startMapping(mapping: EventSourceMapping, prepared: Prepared, signal: AbortSignal): Promise<void> {
    const sqs = this.#sqs;
    if (!sqs || !(await this.#waitForLambda(prepared.lambdaEndpoint, signal))) return;
    const queue = await this.#resolveQueue(sqs, mapping, prepared.settings, signal);
    if (!queue || signal.aborted) return;
    this.#warnAboutMismatches(mapping, queue);
    const poller = new SqsEventSourcePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      region: prepared.settings.region,
      label: mapping.functionKey,
      batchSize: mapping.batchSize,
      maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      pollers: Math.min(prepared.settings.pollers, mapping.maximumConcurrency ?? Number.POSITIVE_INFINITY),
      waitTimeSeconds: prepared.settings.waitTimeSeconds,
      invoke: (event) => invoke(prepared.lambdaEndpoint, mapping.functionName, event),
      logger: this.#logger,
    });
    this.#pollers.push(poller);
    poller.start();
    this.#logger.info(describeMapping(mapping, prepared.settings));
  }

  /**
   * True once serverless-offline's Lambda API answers, false if stopped first; shared by
   * all mappings. After `after:offline:start:init` it answers at once; for plain `offline` it waits.
   */
  #waitForLambda(endpoint: string, signal: AbortSignal): Promise<boolean> {
    let announced = false;
    const state = async (): Promise<'up' | 'stopped' | undefined> => {
      if (signal.aborted) return 'stopped';
      if (await answersHttp(endpoint)) return 'up';
      if (!announced) this.#logger.info(`sqs event source: waiting for serverless-offline's Lambda API at ${endpoint}`);
      announced = true;
      return undefined;
    };
    this.#lambdaReady ??= waitFor(state, { timeoutMs: Number.POSITIVE_INFINITY, what: 'the Lambda API' }).then((s) => s === 'up');
    return this.#lambdaReady;
  }

  /** GetQueueUrl + the queue's ARN, retried with backoff until the queue exists (it may be created after we start). */
  async #resolveQueue(
    sqs: SQSClient,
    mapping: EventSourceMapping,
    settings: PluginSettings,
    signal: AbortSignal,
  ): Promise<ResolvedQueue | undefined> {
    const problem = `cannot look up queue ${mapping.queueName} at ${settings.endpoint}`;
    const outage = new OutageReporter(
      { prefix: `sqs → ${mapping.functionKey}`, problem, recovered: `found queue ${mapping.queueName}` },
      this.#logger,
      BACKOFF,
    );
    // Not the toolbox's retry: its waits cannot be cut short, and stop() must not wait out a 10 s backoff.
    let backoffMs: number | undefined;
    while (!signal.aborted) {
      try {
        const queue = await lookUpQueue(sqs, mapping.queueName, settings.region, signal);
        outage.succeeded();
        return queue;
      } catch (err) {
        if (signal.aborted) return undefined;
        outage.failed(describeSqsError(err));
        backoffMs = nextDelay(backoffMs, BACKOFF);
        await sleepUnlessAborted(backoffMs, signal);
      }
    }
    return undefined;
  }

  /** Settings AWS would reject or not honour: say so rather than behave differently in silence. */
  #warnAboutMismatches(mapping: EventSourceMapping, queue: ResolvedQueue): void {
    const prefix = `sqs → ${mapping.functionKey}`;
    if (queue.visibilityTimeoutSeconds !== undefined && queue.visibilityTimeoutSeconds < mapping.functionTimeoutSeconds) {
      this.#logger.warn(
        `${prefix}: queue ${mapping.queueName} has VisibilityTimeout ${queue.visibilityTimeoutSeconds} s, below the function timeout ` +
          `${mapping.functionTimeoutSeconds} s; AWS refuses this mapping, and messages may be delivered twice`,
      );
    }
    if (mapping.hasFilterPatterns) {
      this.#logger.warn(`${prefix}: filterPatterns are not emulated locally; every message reaches the function`);
    }
  }

  #serverlessError(message: string): Error {
    const ServerlessError = this.#serverless.classes?.Error;
    return ServerlessError ? new ServerlessError(message) : new Error(message);
  }
}

async function lookUpQueue(sqs: SQSClient, queueName: string, region: string, signal: AbortSignal): Promise<ResolvedQueue> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }), { abortSignal: signal });
  if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${queueName}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }), {
    abortSignal: signal,
  });
  const visibility = Number(Attributes?.VisibilityTimeout);
  return {
    url: QueueUrl,
    arn: Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${queueName}`,
    visibilityTimeoutSeconds: Number.isFinite(visibility) ? visibility : undefined,
  };
}

function describeMapping(mapping: EventSourceMapping, settings: PluginSettings): string {
  const options = [
    `batch ${mapping.batchSize}`,
    `window ${mapping.maximumBatchingWindowSeconds} s`,
    mapping.reportBatchItemFailures ? 'ReportBatchItemFailures' : 'all-or-nothing batches',
  ];
  return `sqs → ${mapping.functionKey}: polling ${mapping.queueName} at ${settings.endpoint} (${options.join(', ')})`;
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
