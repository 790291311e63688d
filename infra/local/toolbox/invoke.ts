/**
 * The one way the tools and tests invoke a function locally: the AWS SDK's
 * InvokeCommand (RequestResponse, no SDK retries: a retry would run the function
 * twice) pointed at serverless-offline's Lambda endpoint. A function error comes back
 * as `X-Amz-Function-Error` with `{ errorMessage, errorType }`; an unknown function as
 * an API error; a closed port as a network error marked `unreachable`.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { isRecord } from './isRecord.js';
import { DUMMY_CREDENTIALS, LOCAL_REGION } from './localDefaults.js';

export type InvokeOutcome =
  | { readonly ok: true; readonly response: unknown }
  | { readonly ok: false; readonly error: string; readonly unreachable?: boolean };

const clients = new Map<string, LambdaClient>();

/** One client per endpoint, kept for the process's life. */
export function localLambda(lambdaEndpoint: string): LambdaClient {
  let client = clients.get(lambdaEndpoint);
  if (client === undefined) {
    client = new LambdaClient({
      endpoint: lambdaEndpoint,
      region: LOCAL_REGION,
      credentials: DUMMY_CREDENTIALS,
      maxAttempts: 1,
      // A connection per call, as many as are in flight: no idle socket for the server to close under a call.
      requestHandler: { httpAgent: { keepAlive: false, maxSockets: Number.POSITIVE_INFINITY } },
    });
    clients.set(lambdaEndpoint, client);
  }
  return client;
}

/** Invokes `functionName` (the deployed name; see localDefaults' functionName) and says how it went; never throws. */
export async function invoke(lambdaEndpoint: string, functionName: string, payload: unknown = {}): Promise<InvokeOutcome> {
  try {
    const out = await localLambda(lambdaEndpoint).send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) }),
    );
    const response = parsePayload(out.Payload ? Buffer.from(out.Payload).toString('utf8') : '');
    if (out.FunctionError) return { ok: false, error: `${out.FunctionError} function error: ${describeFunctionError(response)}` };
    return { ok: true, response };
  } catch (error) {
    return describeFailure(lambdaEndpoint, error);
  }
}

/** `invoke`, returning the function's answer or throwing what went wrong. */
export async function invokeOrThrow<T>(lambdaEndpoint: string, functionName: string, payload: unknown = {}): Promise<T> {
  const outcome = await invoke(lambdaEndpoint, functionName, payload);
  if (!outcome.ok) throw new Error(`invoking ${functionName}: ${outcome.error}`);
  return outcome.response as T;
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

function describeFailure(lambdaEndpoint: string, error: unknown): InvokeOutcome {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERRORS.has(code)) {
    return { ok: false, unreachable: true, error: `Lambda endpoint ${lambdaEndpoint} unreachable (${code})` };
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: `Invoke API answered${status ? ` ${status}` : ''} ${name}: ${message}` };
}

/** Empty → undefined (the handler returned nothing); text that is not JSON is kept as text. */
function parsePayload(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeFunctionError(payload: unknown): string {
  if (isRecord(payload) && typeof payload.errorMessage === 'string') {
    const type = typeof payload.errorType === 'string' && payload.errorType !== 'Error' ? `${payload.errorType}: ` : '';
    return `${type}${payload.errorMessage}`;
  }
  return JSON.stringify(payload) ?? 'no details';
}
