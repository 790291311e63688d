/**
 * Serverless plugin: before `sls offline start` serves anything, create the
 * template's queues and bucket on the local endpoint (custom.localCloud.endpoint);
 * then keep watching, and create them again if the emulator comes back empty (moto
 * keeps everything in memory; LocalStack too unless PERSISTENCE is on). Waits for
 * the endpoint a while at start (an emulator may still be starting) and then fails
 * the start with a message that says what to do.
 *
 * Whenever it finds the bucket empty of the pipeline's state, it first puts the logs
 * kept in LOGS_DIR back (before any queue exists, so no function runs before them):
 * the log goes on where it was instead of starting again at row 1.
 *
 * A function's environment variable that is a `Ref` to a topic of the template
 * (maintain's ALERTS_TOPIC_ARN) gets the local topic's ARN, as CloudFormation would
 * give it on AWS.
 */
import { journalIn } from '../../../functions/commons/logs/journal.js';
import { describeRestore, restoreLogsFromLocal } from '../../../functions/commons/logs/restore.js';
import { MetricsPublisher } from '../../../functions/commons/metrics/metricsPublisher.js';
import { readLocalSetting } from '../settings.js';
import { LOCAL_ENDPOINT, LOCAL_REGION } from '../toolbox/localDefaults.js';
import { retry } from '../toolbox/retry.js';
import {
  type BootstrapClients,
  type BootstrapHooks,
  type BootstrapPlan,
  bootstrap,
  type CfnResources,
  planFromResources,
} from './bootstrap.js';
import { InFlight } from './emulatorLoss.js';
import { localS3, localSns, localSqs } from './localClients.js';
import { describeCloudGap } from './watch.js';

type Environment = Record<string, unknown>;

interface ServerlessLike {
  service: {
    provider: { region?: string; environment?: Environment };
    functions?: Record<string, { environment?: Environment }>;
    custom?: { localCloud?: { endpoint?: string; startupWaitSeconds?: number | string; watchSeconds?: number | string } };
    resources?: { Resources?: CfnResources };
  };
}
interface PluginUtils {
  log: { notice(msg: string): void; warning(msg: string): void; info(msg: string): void };
}

export class BootstrapPlugin {
  readonly hooks: Record<string, () => Promise<void>>;
  readonly #serverless: ServerlessLike;
  readonly #log: PluginUtils['log'];
  #watch: NodeJS.Timeout | undefined;

  constructor(serverless: ServerlessLike, _options: unknown, utils: PluginUtils) {
    this.#serverless = serverless;
    this.#log = utils.log;
    this.hooks = {
      'offline:start:init': () => this.#bootstrap(),
      'before:offline:start:end': async () => clearInterval(this.#watch),
    };
  }

  async #bootstrap(): Promise<void> {
    const { custom, provider, resources } = this.#serverless.service;
    const endpoint = custom?.localCloud?.endpoint ?? readLocalSetting('awsEndpoint') ?? LOCAL_ENDPOINT;
    const plan = planFromResources(resources?.Resources ?? {});
    const region = provider.region ?? LOCAL_REGION;
    const clients = { sqs: localSqs(endpoint, region), s3: localS3(endpoint, region), sns: localSns(endpoint, region) };
    const inFlight = new InFlight(readLocalSetting('logsDir'));
    const report = await retry(() => bootstrap(plan, clients, this.#restoreHooks(clients, endpoint, inFlight)), {
      timeoutMs: Number(custom?.localCloud?.startupWaitSeconds ?? 60) * 1000,
      onRetry: (error, attempt) => {
        if (attempt === 1) this.#log.warning(`waiting for the AWS endpoint ${endpoint} (${(error as Error).message})`);
      },
    }).catch((error: Error) => {
      throw new Error(
        `could not create the queues and bucket at ${endpoint} (${error.message}). ` +
          'Start an emulator there (`npm start` does it for you; or `docker compose up localstack`), or set AWS_ENDPOINT_URL.',
      );
    });
    this.#resolveTopicRefs(report.topics);
    const topics = Object.values(report.topics).map((arn) => arn.split(':').at(-1));
    this.#log.notice(
      `local cloud at ${endpoint}: queues ${Object.keys(report.queues).join(', ')}; bucket ${report.buckets.join(', ')}` +
        (topics.length > 0 ? `; topic ${topics.join(', ')}` : ''),
    );
    this.#startWatching(plan, clients, endpoint, inFlight, report.queues, Number(custom?.localCloud?.watchSeconds ?? 10));
  }

  /** Puts each topic's local ARN in place of a `Ref` to it in the functions' environments. */
  #resolveTopicRefs(topics: Readonly<Record<string, string>>): void {
    const { provider, functions } = this.#serverless.service;
    for (const environment of [provider.environment, ...Object.values(functions ?? {}).map((fn) => fn.environment)]) {
      for (const [name, value] of Object.entries(environment ?? {})) {
        const ref = (value as { Ref?: unknown } | null)?.Ref;
        if (typeof ref === 'string' && topics[ref] !== undefined && environment !== undefined) environment[name] = topics[ref];
      }
    }
  }

  /**
   * Restores metric_log.csv and orphans.csv from LOGS_DIR (and its journal) into a bucket
   * that came up empty, and says so, and what the emulator took along (emulatorLoss.ts).
   */
  #restoreHooks(clients: BootstrapClients, endpoint: string, inFlight: InFlight): BootstrapHooks {
    const logsDir = readLocalSetting('logsDir');
    const journal = journalIn(logsDir, { warn: (message) => this.#log.warning(message) });
    return {
      afterBuckets: async (buckets) => {
        for (const bucket of buckets) {
          // The rows go back into metrics.json's books too: a restart costs no figure.
          const books = new MetricsPublisher({ s3: clients.s3, bucket, logsDir });
          await books.load();
          const outcome = await restoreLogsFromLocal(clients.s3, bucket, logsDir, { journal, books });
          if (outcome === undefined || logsDir === undefined) continue;
          await books.publish(Date.now(), { pending: 0, pendingPredictions: 0, deadLetters: null });
          const { notice, warnings } = describeRestore(outcome, { endpoint, bucket, logsDir });
          for (const warning of warnings) this.#log.warning(warning);
          if (notice !== undefined) this.#log.notice(notice);
          const lost = await inFlight.reportLoss(Date.now()).catch(() => undefined);
          if (lost !== undefined) this.#log.warning(lost);
        }
      },
    };
  }

  /**
   * Re-creates the resources when the emulator restarts without them, and says what it
   * took along: each check while all is well samples the queues and the join table
   * (emulatorLoss.ts), and the last sample is reported once it is back.
   */
  #startWatching(
    plan: BootstrapPlan,
    clients: BootstrapClients,
    endpoint: string,
    inFlight: InFlight,
    queueUrls: Readonly<Record<string, string>>,
    everySeconds: number,
  ): void {
    let busy = false;
    // The queues records flow through (their dead-letter queues and the alerts inbox keep nothing in flight).
    let sources = plan.queues
      .filter((queue) => queue.redrive !== undefined)
      .map((queue) => ({ name: queue.name, url: queueUrls[queue.name] }));
    this.#watch = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const gap = await describeCloudGap(plan, clients);
        if (gap === undefined) {
          if (plan.buckets[0] !== undefined) await inFlight.sample(clients, sources, plan.buckets[0]).catch(() => undefined);
          return;
        }
        const report = await bootstrap(plan, clients, this.#restoreHooks(clients, endpoint, inFlight));
        sources = sources.map((queue) => ({ ...queue, url: report.queues[queue.name] }));
        this.#log.warning(
          `local cloud at ${endpoint} came back without ${gap}: queues and bucket created again (their former contents are gone)`,
        );
      } catch {
        // Unreachable: the event source reports outages; we try again next tick.
      } finally {
        busy = false;
      }
    }, everySeconds * 1000);
    this.#watch.unref();
  }
}
