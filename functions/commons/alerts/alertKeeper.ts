/**
 * Runs the alert rules for `maintain` on each metrics update: judges the rules
 * (alertRules.ts: complete minutes, and the hold before firing and resolving),
 * publishes each transition once to the SNS topic, and keeps the rules' state in
 * alerts.json (S3, and LOGS_DIR locally): what fires, what is pending and since when,
 * so a cold start keeps the holds, and the dashboard can show what fires. A
 * transition the topic did not take is not recorded: the rule stays on hold and the
 * next update publishes it if it is still due.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { writeMirror } from '../logs/localMirror.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import {
  type AlertInput,
  type AlertMessage,
  type AlertSettings,
  type AlertsDocument,
  type Evaluation,
  evaluateRules,
  isAlertsDocument,
  nextAlertsDocument,
  pinnedBaseline,
  transitions,
} from './alertRules.js';

export interface AlertLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
  warn(message: string): void;
}

export interface AlertKeeperOptions {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly bucket: string;
  readonly logsDir: string | undefined;
  /** undefined: no topic (alerts.json is still kept). */
  readonly topicArn: string | undefined;
  readonly settings: AlertSettings;
  readonly logger: AlertLogger;
}

export interface AlertUpdate {
  readonly evaluations: readonly Evaluation[];
  readonly published: readonly AlertMessage[];
  readonly document: AlertsDocument;
}

export class AlertKeeper {
  readonly #options: AlertKeeperOptions;
  #document: AlertsDocument | undefined;
  #loaded = false;
  #stored = '';

  constructor(options: AlertKeeperOptions) {
    this.#options = options;
  }

  /** Judges the rules on a metrics.json, publishes the transitions, stores alerts.json when it changed. */
  async update(metrics: AlertInput, now: number): Promise<AlertUpdate> {
    const { s3, bucket, logsDir, settings } = this.#options;
    const previous = await this.#load();
    const pinned = pinnedBaseline(metrics, settings, now, previous?.baseline);
    const evaluations = evaluateRules(metrics, settings, now, pinned);
    const published: AlertMessage[] = [];
    for (const alert of transitions(previous, settings, evaluations, now)) {
      if (await this.#publish(alert)) published.push(alert);
    }
    const document = nextAlertsDocument(previous, settings, evaluations, published, now, pinned);
    const { updated_at: _, ...content } = document;
    const fingerprint = JSON.stringify(content);
    if (fingerprint !== this.#stored) {
      const body = `${JSON.stringify(document, null, 2)}\n`;
      await putObject(s3, bucket, BUCKET_KEYS.alerts, body, 'application/json');
      const problem = await writeMirror(logsDir, BUCKET_KEYS.alerts, body);
      if (problem !== undefined) this.#options.logger.warn(problem);
      this.#stored = fingerprint;
    }
    this.#document = document;
    return { evaluations, published, document };
  }

  async #load(): Promise<AlertsDocument | undefined> {
    if (this.#loaded) return this.#document;
    const stored = await getText(this.#options.s3, this.#options.bucket, BUCKET_KEYS.alerts);
    let parsed: unknown;
    try {
      parsed = stored === undefined ? undefined : JSON.parse(stored.text);
    } catch {
      parsed = undefined;
    }
    this.#document = isAlertsDocument(parsed) ? parsed : undefined;
    this.#loaded = true;
    return this.#document;
  }

  async #publish(alert: AlertMessage): Promise<boolean> {
    const { sns, topicArn, logger } = this.#options;
    const line = `Alert ${alert.state}: ${alert.rule}, ${alert.summary}`;
    if (topicArn === undefined) {
      logger.info(line, { rule: alert.rule, state: alert.state, topic: 'none (ALERTS_TOPIC_ARN unset)' });
      return true;
    }
    try {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `ml-monitor ${alert.state}: ${alert.rule}`,
          Message: JSON.stringify(alert),
          MessageAttributes: {
            rule: { DataType: 'String', StringValue: alert.rule },
            state: { DataType: 'String', StringValue: alert.state },
          },
        }),
      );
      logger.info(line, { rule: alert.rule, state: alert.state });
      return true;
    } catch (error) {
      logger.error(`Alert ${alert.state} of ${alert.rule} not published: the next metrics update tries again`, {
        topic: topicArn,
        error: String(error),
      });
      return false;
    }
  }
}
