/**
 * Names the AWS operation of an HTTP request as the recording proxy sees it, so the
 * bench can say `sqs:ReceiveMessage` rather than `POST /`. Pure: headers, method
 * and URL in, `service:operation` out.
 *
 * - service: the SigV4 credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`)
 *   of the Authorization header, or of a presigned URL's X-Amz-Credential;
 * - SQS: the JSON protocol's `X-Amz-Target: AmazonSQS.<Operation>` (SDK v3), else the
 *   query protocol's `Action=` (in the URL or, form-encoded, in the body);
 * - S3: method + path (path-style, as the project's clients use) + sub-resource query.
 */

export type HeaderValue = string | readonly string[] | undefined;
export type Headers = Readonly<Record<string, HeaderValue>>;

export interface RequestShape {
  readonly method: string;
  /** Path and query, as in an HTTP request line (`/bucket/key?list-type=2`). */
  readonly url: string;
  /** Lower-case names, as node's IncomingMessage.headers has them. */
  readonly headers: Headers;
}

export interface Classified {
  readonly service: string;
  readonly operation: string;
  /** The query protocol names its action in a form body: classify again once the body is in. */
  readonly needsFormBody: boolean;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** `sqs` from `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/sqs/aws4_request, ...`. */
export function serviceFromCredentialScope(scope: string | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const match = /Credential=([^,\s]+)/.exec(scope) ?? /^([^,\s]+\/aws4_request)$/.exec(scope);
  const parts = match?.[1]?.split('/');
  // <access key>/<date>/<region>/<service>/aws4_request; the key itself may not hold '/'.
  if (parts === undefined || parts.length < 5 || parts.at(-1) !== 'aws4_request') return undefined;
  return parts.at(-2) || undefined;
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

export function classifyRequest(request: RequestShape): Classified {
  const { path, query } = splitUrl(request.url);
  const target = header(request.headers, 'x-amz-target');
  const service =
    serviceFromCredentialScope(header(request.headers, 'authorization')) ??
    serviceFromCredentialScope(query.get('X-Amz-Credential') ?? undefined) ??
    (target?.startsWith('AmazonSQS.') ? 'sqs' : undefined) ??
    (path.startsWith('/moto-api') ? 'moto' : 'unknown');
  if (service === 'sqs') return classifySqs(request, target, query);
  if (service === 's3')
    return { service, operation: s3Operation(request.method.toUpperCase(), path, query, request.headers), needsFormBody: false };
  if (service === 'moto') return { service, operation: path.replace(/^\/moto-api\/?/, '') || 'api', needsFormBody: false };
  // Other services over JSON (X-Amz-Target: Service_Version.Operation) or the query protocol.
  const operation = target?.split('.').at(-1) ?? query.get('Action') ?? `${request.method.toUpperCase()} ${path}`;
  return { service, operation, needsFormBody: false };
}

function classifySqs(request: RequestShape, target: string | undefined, query: URLSearchParams): Classified {
  if (target?.includes('.')) return { service: 'sqs', operation: target.slice(target.indexOf('.') + 1), needsFormBody: false };
  const action = query.get('Action');
  if (action) return { service: 'sqs', operation: action, needsFormBody: false };
  const form = (header(request.headers, 'content-type') ?? '').includes('application/x-www-form-urlencoded');
  return { service: 'sqs', operation: 'unknown', needsFormBody: form };
}

/** The query protocol's action from a form-encoded body (`Action=ReceiveMessage&...`). */
export function actionFromFormBody(body: string): string | undefined {
  return new URLSearchParams(body).get('Action') ?? undefined;
}

/** Bucket sub-resources and the operation each names per method (path-style, no key). */
const BUCKET_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  cors: { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' },
  encryption: { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' },
  lifecycle: { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' },
  location: { GET: 'GetBucketLocation' },
  logging: { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' },
  notification: { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' },
  ownershipControls: { GET: 'GetBucketOwnershipControls', PUT: 'PutBucketOwnershipControls', DELETE: 'DeleteBucketOwnershipControls' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  publicAccessBlock: { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' },
  tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
  uploads: { GET: 'ListMultipartUploads' },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  versions: { GET: 'ListObjectVersions' },
  website: { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' },
  delete: { POST: 'DeleteObjects' },
};

const OBJECT_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  acl: { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' },
  tagging: { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' },
  attributes: { GET: 'GetObjectAttributes' },
  retention: { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' },
  'legal-hold': { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' },
  restore: { POST: 'RestoreObject' },
  uploads: { POST: 'CreateMultipartUpload' },
};

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function s3Operation(method: string, path: string, query: URLSearchParams, headers: Headers = {}): string {
  // Path-style: /<bucket>[/<key>]. An empty key after the slash still means the bucket.
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const bucket = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const key = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : `${method} /`;

  if (key === '') {
    for (const [name, operations] of Object.entries(BUCKET_SUBRESOURCES)) {
      if (query.has(name)) return operations[method] ?? `${capitalised(method.toLowerCase())}Bucket${capitalised(name)}`;
    }
    switch (method) {
      case 'GET':
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        return 'PostObject';
      default:
        return `${method} bucket`;
    }
  }

  const copy = header(headers, 'x-amz-copy-source') !== undefined;
  if (query.has('uploadId')) {
    if (method === 'PUT') return copy ? 'UploadPartCopy' : 'UploadPart';
    if (method === 'POST') return 'CompleteMultipartUpload';
    if (method === 'DELETE') return 'AbortMultipartUpload';
    if (method === 'GET') return 'ListParts';
  }
  for (const [name, operations] of Object.entries(OBJECT_SUBRESOURCES)) {
    if (query.has(name)) return operations[method] ?? `${capitalised(method.toLowerCase())}Object${capitalised(name)}`;
  }
  switch (method) {
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      return copy ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return `${method} object`;
  }
}

/** Bucket and key of a path-style S3 URL (key undefined for bucket-level requests). */
export function s3Location(url: string): { bucket: string; key: string | undefined } {
  const { path } = splitUrl(url);
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { bucket: decodeURIComponent(trimmed), key: undefined };
  const key = trimmed.slice(slash + 1);
  return { bucket: decodeURIComponent(trimmed.slice(0, slash)), key: key === '' ? undefined : decodeURIComponent(key) };
}
