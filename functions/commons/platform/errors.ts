/**
 * Errors of the pipeline. Each carries the facts a person needs to act on it, and
 * the original `cause` where there is one.
 */
export class MlMonitorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A required setting is missing or malformed; raised at load, before any work. */
export class ConfigurationError extends MlMonitorError {}

/** A queue message that can never be processed: it goes to the dead-letter queue. */
export class InvalidMessageError extends MlMonitorError {
  constructor(
    readonly queue: string,
    readonly messageId: string,
    readonly reason: string,
  ) {
    super(`invalid message ${messageId} from ${queue}: ${reason}`);
  }
}

/** Another writer changed an S3 object between our read and our conditional write. */
export class ConcurrentWriteError extends MlMonitorError {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`s3 object ${key} changed under us`, options);
  }
}

/**
 * A conditional write kept losing to concurrent writers until the invocation had to
 * stop trying before its timeout. Not a ConcurrentWriteError: nothing retries it
 * again; the invocation fails and SQS brings its batch back.
 */
export class ContendedWriteError extends MlMonitorError {
  constructor(
    readonly key: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`s3 object ${key} still changed under us after ${attempts} attempts; stopped before the function's timeout`, options);
  }
}

/** The chart server answered, but not with a PNG. */
export class ChartRenderError extends MlMonitorError {}
