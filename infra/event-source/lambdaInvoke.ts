/**
 * Invokes a function the way AWS' event source mapping does: a synchronous
 * (RequestResponse) call to the Lambda Invoke API, here serverless-offline's.
 *
 * What serverless-offline 13 answers (src/lambda/routes/invocations/):
 * - success: 200 with the handler's return value as the body (empty when it returned nothing);
 * - handler threw / rejected / timed out: 200 with `X-Amz-Function-Error: Unhandled` and a
 *   body `{ errorMessage, errorType, trace }`;
 * - unknown function or unsupported invocation type: 404 / 400 with
 *   `x-amzn-ErrorType` and a body `{ Message, Type }`.
 */
import { describeError, type InvokeOutcome, networkErrorCode } from './poller.js';

export function invocationUrl(lambdaEndpoint: string, functionName: string): string {
  return `${lambdaEndpoint.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
}

export async function invokeThroughOffline(lambdaEndpoint: string, functionName: string, event: unknown): Promise<InvokeOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(invocationUrl(lambdaEndpoint, functionName), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body: JSON.stringify(event),
    });
    text = await response.text();
  } catch (err) {
    return describeTransportFailure(lambdaEndpoint, err);
  }
  return interpretInvokeResponse(response.status, response.headers, text);
}

/** Maps an Invoke API answer to an outcome (exported for the tests). */
export function interpretInvokeResponse(status: number, headers: Headers, text: string): InvokeOutcome {
  const payload = parsePayload(text);
  const functionError = headers.get('x-amz-function-error');
  if (functionError) return { ok: false, error: `${functionError} function error: ${describeFunctionError(payload)}` };
  const errorType = headers.get('x-amzn-errortype');
  if (errorType || status < 200 || status >= 300) {
    return { ok: false, error: `Invoke API answered ${status}${errorType ? ` ${errorType}` : ''}: ${describeApiError(payload, text)}` };
  }
  return { ok: true, response: payload };
}

function describeTransportFailure(lambdaEndpoint: string, err: unknown): InvokeOutcome {
  const code = networkErrorCode(err);
  if (code !== undefined) return { ok: false, unreachable: true, error: `Lambda endpoint ${lambdaEndpoint} unreachable (${code})` };
  // fetch reports most failures as "fetch failed" with the real reason in `cause`.
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  return { ok: false, error: `invoking through ${lambdaEndpoint} failed: ${describeError(cause)}` };
}

/** Empty body → undefined (the handler returned nothing); non-JSON text is kept as a string. */
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

function describeApiError(payload: unknown, text: string): string {
  if (isRecord(payload) && typeof payload.Message === 'string') return payload.Message;
  return text.slice(0, 200) || 'no details';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
