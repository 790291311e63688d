/** The bench's pure pieces: flags, statistics, request classification, segment parsing, console parsing, report. */
import { describe, expect, it } from 'vitest';
import { METRIC_LOG_HEADER, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { emittedAt } from '../../functions/commons/messaging/recordIds.js';
import { DEFAULTS, parseBenchArgs, plannedEmission, skipReason, UsageError } from '../../infra/bench/args.js';
import { type BurstResult, timeoutsByFunction } from '../../infra/bench/burst.js';
import { actionFromFormBody, classifyRequest, s3Location, s3Operation, serviceFromCredentialScope } from '../../infra/bench/classify.js';
import type { DepthResult } from '../../infra/bench/emulatorDepth.js';
import { halfEvents, preloadedLog, preloadedTable } from '../../infra/bench/metricCost.js';
import { describeInvokeError } from '../../infra/bench/pipeline.js';
import { generatedRows, parseStatsLine, plotCommand, seededRandom } from '../../infra/bench/plotCli.js';
import { parentPidFromStat, statusFieldMb } from '../../infra/bench/procfs.js';
import { progressLine } from '../../infra/bench/progress.js';
import { buildReport, formatTable, type MachineInfo, type ReportInputs, tableRows } from '../../infra/bench/report.js';
import { decodeAwsChunked, idsInSegment, isAwsChunked, isMetricSegmentKey } from '../../infra/bench/segments.js';
import { LineSplitter, OfflineConsole, parseBatchLine, parseInvocationLine } from '../../infra/bench/slsOutput.js';
import { latencyPercentiles, mean, median, percentile } from '../../infra/bench/stats.js';

const AUTH = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('percentiles', () => {
  it('interpolates between closest ranks, as numpy does', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 0)).toBe(15);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 40)).toBe(29);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });

  it('does not care about input order and leaves the input alone', () => {
    const values = [5, 1, 4, 2, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });

  it('gives p50, p95 and p99 of a latency list', () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 10);
    expect(latencyPercentiles(values)).toEqual({ p50: 500, p95: 950, p99: 990 });
  });

  it('is NaN for no values and refuses percentiles outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(mean([])).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('classifying requests at the proxy', () => {
  it('reads the service from the SigV4 credential scope', () => {
    expect(serviceFromCredentialScope(AUTH('sqs'))).toBe('sqs');
    expect(serviceFromCredentialScope(AUTH('s3'))).toBe('s3');
    expect(serviceFromCredentialScope('Bearer x')).toBeUndefined();
    expect(serviceFromCredentialScope(undefined)).toBeUndefined();
  });

  it('names SQS operations from X-Amz-Target (JSON protocol)', () => {
    const request = { method: 'POST', url: '/', headers: { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.SendMessageBatch' } };
    expect(classifyRequest(request)).toEqual({ service: 'sqs', operation: 'SendMessageBatch', needsFormBody: false });
  });

  it('falls back to the query protocol: Action in the URL, or in a form body', () => {
    expect(classifyRequest({ method: 'GET', url: '/?Action=ListQueues', headers: { authorization: AUTH('sqs') } }).operation).toBe(
      'ListQueues',
    );
    const form = classifyRequest({
      method: 'POST',
      url: '/123456789012/features',
      headers: { authorization: AUTH('sqs'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    expect(form.needsFormBody).toBe(true);
    expect(actionFromFormBody('Action=ReceiveMessage&MaxNumberOfMessages=10&Version=2012-11-05')).toBe('ReceiveMessage');
  });

  it('takes the service from a presigned URL when there is no Authorization header', () => {
    const url = '/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261126%2Fus-east-1%2Fs3%2Faws4_request';
    expect(classifyRequest({ method: 'GET', url, headers: {} })).toMatchObject({ service: 's3', operation: 'GetObject' });
  });

  it.each([
    ['GET', '/ml-monitor-dev/state/metric-table.json', {}, 'GetObject'],
    ['PUT', '/ml-monitor-dev/segments/metric_log/000000000001.csv', {}, 'PutObject'],
    ['PUT', '/ml-monitor-dev/copy.csv', { 'x-amz-copy-source': '/b/k' }, 'CopyObject'],
    ['HEAD', '/ml-monitor-dev/metric_log.csv', {}, 'HeadObject'],
    ['DELETE', '/ml-monitor-dev/metric_log.csv', {}, 'DeleteObject'],
    ['POST', '/ml-monitor-dev?delete', {}, 'DeleteObjects'],
    ['POST', '/ml-monitor-dev/?delete=', {}, 'DeleteObjects'],
    ['GET', '/ml-monitor-dev?list-type=2&prefix=segments%2F', {}, 'ListObjectsV2'],
    ['GET', '/ml-monitor-dev/?list-type=2', {}, 'ListObjectsV2'],
    ['GET', '/ml-monitor-dev', {}, 'ListObjects'],
    ['HEAD', '/ml-monitor-dev', {}, 'HeadBucket'],
    ['PUT', '/ml-monitor-dev', {}, 'CreateBucket'],
    ['PUT', '/ml-monitor-dev?publicAccessBlock', {}, 'PutPublicAccessBlock'],
    ['PUT', '/ml-monitor-dev?encryption', {}, 'PutBucketEncryption'],
    ['GET', '/', {}, 'ListBuckets'],
    ['POST', '/ml-monitor-dev/big.bin?uploads', {}, 'CreateMultipartUpload'],
    ['PUT', '/ml-monitor-dev/big.bin?partNumber=1&uploadId=x', {}, 'UploadPart'],
    ['POST', '/ml-monitor-dev/big.bin?uploadId=x', {}, 'CompleteMultipartUpload'],
    ['GET', '/ml-monitor-dev/k?tagging', {}, 'GetObjectTagging'],
  ])('names %s %s as S3 %s', (method, url, headers, operation) => {
    expect(classifyRequest({ method, url, headers: { authorization: AUTH('s3'), ...headers } })).toEqual({
      service: 's3',
      operation,
      needsFormBody: false,
    });
  });

  it('splits a path-style S3 URL into bucket and key', () => {
    expect(s3Location('/ml-monitor-dev/segments/metric_log/000000000001.csv?x-id=PutObject')).toEqual({
      bucket: 'ml-monitor-dev',
      key: 'segments/metric_log/000000000001.csv',
    });
    expect(s3Location('/ml-monitor-dev/a%20b.csv')).toEqual({ bucket: 'ml-monitor-dev', key: 'a b.csv' });
    expect(s3Location('/ml-monitor-dev?list-type=2')).toEqual({ bucket: 'ml-monitor-dev', key: undefined });
    expect(s3Operation('PUT', '/b/k', new URLSearchParams('x-id=PutObject'))).toBe('PutObject');
  });

  it('labels moto’s own API and unknown services without failing', () => {
    expect(classifyRequest({ method: 'GET', url: '/moto-api/', headers: {} })).toMatchObject({ service: 'moto' });
    expect(classifyRequest({ method: 'GET', url: '/x', headers: {} })).toMatchObject({ service: 'unknown', operation: 'GET /x' });
  });
});

describe('reading metric-log segment writes', () => {
  const id1 = '1795680657123-9f3a1c2e-0007';
  const id2 = '1795680657124-9f3a1c2e-0008';

  it('recognises metric-log segment keys only', () => {
    expect(isMetricSegmentKey('segments/metric_log/000000000001.csv')).toBe(true);
    expect(isMetricSegmentKey('segments/orphans/000000000001.csv')).toBe(false);
    expect(isMetricSegmentKey('metric_log.csv')).toBe(false);
    expect(isMetricSegmentKey(undefined)).toBe(false);
  });

  it('takes the id of every row, skipping blank and foreign lines', () => {
    const body = `${id1},151.0,140.5,10.5\n\n${METRIC_LOG_HEADER}\nnot-an-id,1.0,2.0,1.0\n${id2},1.0,2.0,1.0`;
    expect(idsInSegment(body)).toEqual([id1, id2]);
    expect(idsInSegment('')).toEqual([]);
    expect(emittedAt(idsInSegment(`${id1},1.0,2.0,1.0\n`)[0] as string)).toBe(1795680657123);
  });

  it('decodes an aws-chunked body, with signatures and trailers', () => {
    const data = `${id1},1.0,2.0,1.0\n`;
    const chunked = Buffer.from(
      `${Buffer.byteLength(data).toString(16)};chunk-signature=abc\r\n${data}\r\n0;chunk-signature=def\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`,
    );
    expect(decodeAwsChunked(chunked).toString()).toBe(data);
    const twoChunks = Buffer.from(`3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`);
    expect(decodeAwsChunked(twoChunks).toString()).toBe('abcde');
    expect(() => decodeAwsChunked(Buffer.from('zz\r\nabc'))).toThrow(/chunk size/);
  });

  it('tells an aws-chunked request by its headers', () => {
    expect(isAwsChunked({ 'content-encoding': 'aws-chunked' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' })).toBe(false);
  });
});

describe('reading the sls offline console', () => {
  it('parses invocation and batch lines', () => {
    expect(parseInvocationLine('(λ: metric) RequestId: 1f0e-42  Duration: 123.45 ms  Billed Duration: 124 ms')).toEqual({
      fn: 'metric',
      durationMs: 123.45,
    });
    expect(parseInvocationLine('\u001b[90m(λ: plot) RequestId: x  Duration: 7.00 ms  Billed Duration: 8 ms\u001b[39m')).toEqual({
      fn: 'plot',
      durationMs: 7,
    });
    expect(parseBatchLine('sqs → metric: 1000 messages from y_true, all succeeded')).toEqual({
      fn: 'metric',
      messages: 1000,
      queue: 'y_true',
      failed: false,
    });
    expect(parseBatchLine('sqs → predictor: 1 message from features, 1 reported failed (left for redelivery)')).toMatchObject({
      failed: true,
      messages: 1,
    });
    expect(parseInvocationLine('something else')).toBeUndefined();
  });

  it('counts whole lines across chunk boundaries', () => {
    const console = new OfflineConsole();
    const text =
      '(λ: metric) RequestId: a  Duration: 10.00 ms  Billed Duration: 10 ms\n' +
      'sqs → metric: 20 messages from y_pred, all succeeded\n' +
      '(λ: metric) RequestId: b  Duration: 30.00 ms  Billed Duration: 30 ms\n' +
      'Warning: something odd\n';
    for (let i = 0; i < text.length; i += 7) console.push(text.slice(i, i + 7));

    expect(console.functions()).toEqual({ metric: { invocations: 2, totalDurationMs: 40 } });
    expect(console.queues()).toEqual({ y_pred: { batches: 1, messages: 20, failedBatches: 0 } });
    expect(console.invocations()).toBe(2);
    expect(console.problems).toEqual(['Warning: something odd']);
    console.reset();
    expect(console.invocations()).toBe(0);
  });

  it('keeps a partial last line for the next chunk', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter();
    splitter.push('a\nb', (line) => lines.push(line));
    splitter.push('c\n', (line) => lines.push(line));
    expect(lines).toEqual(['a', 'bc']);
  });
});

describe('bench flags', () => {
  it('has defaults', () => {
    expect(parseBenchArgs([])).toEqual(DEFAULTS);
  });

  it('reads --flag value and --flag=value', () => {
    const options = parseBenchArgs(['--records', '300', '--batch-size=100', '--window', '2', '--skip-plot', '--output', '/tmp/x.json']);
    expect(options).toMatchObject({ records: 300, batchSize: 100, window: 2, skipPlot: true, output: '/tmp/x.json' });
  });

  it('refuses what the stack would refuse, and unknown flags', () => {
    expect(() => parseBenchArgs(['--batch-size', '100', '--window', '0'])).toThrow(/at least 1 second/);
    expect(() => parseBenchArgs(['--records', 'ten'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--records', '0'])).toThrow(/from 1/);
    expect(() => parseBenchArgs(['--wait-time', '21'])).toThrow(/to 20/);
    expect(() => parseBenchArgs(['--recrods', '5'])).toThrow(/unknown flag/);
    expect(() => parseBenchArgs(['--records'])).toThrow(/needs a value/);
    expect(parseBenchArgs(['--help'])).toBeUndefined();
  });

  it('runs only the phases --only names, and leaves out the ones a --skip flag names', () => {
    const only = parseBenchArgs(['--only', 'depth']) as NonNullable<ReturnType<typeof parseBenchArgs>>;
    expect(skipReason(only, 'depth')).toBeUndefined();
    expect(skipReason(only, 'pipeline')).toBe('--only depth');
    expect(skipReason(only, 'capacity')).toBe('--only depth');
    const skipped = parseBenchArgs(['--skip-depth', '--depth=500', '--plain-depth', '0']) as NonNullable<ReturnType<typeof parseBenchArgs>>;
    expect(skipReason(skipped, 'depth')).toBe('--skip-depth');
    expect(skipReason(skipped, 'pipeline')).toBeUndefined();
    expect(skipped).toMatchObject({ depthMessages: 500, plainDepthMessages: 0 });
    expect(parseBenchArgs(['--only=depth,bundles'])?.only).toEqual(['depth', 'bundles']);
    expect(() => parseBenchArgs(['--only', 'depth,pipelin'])).toThrow(/unknown phase pipelin/);
  });

  it('emits whole features runs', () => {
    expect(plannedEmission(10_000, 50)).toEqual({ runs: 200, recordsPerRun: 50, records: 10_000 });
    expect(plannedEmission(120, 50)).toEqual({ runs: 3, recordsPerRun: 50, records: 150 });
    expect(plannedEmission(30, 50)).toEqual({ runs: 1, recordsPerRun: 30, records: 30 });
  });
});

describe('process figures from /proc', () => {
  it('reads VmRSS and VmHWM in MB', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(statusFieldMb(status, 'VmRSS')).toBe(100);
    expect(statusFieldMb(status, 'VmHWM')).toBe(200);
    expect(statusFieldMb('Name: x', 'VmRSS')).toBeUndefined();
  });

  it('reads the parent pid even when the command has spaces and parentheses', () => {
    expect(parentPidFromStat('1234 (node (worker) x) S 42 1234 1234 0 -1')).toBe(42);
  });
});

describe('metric cost fixtures', () => {
  it('pre-loads a log as compaction leaves it: header, K rows, pipeline ids', () => {
    const rows = parseMetricLog(preloadedLog(25, 1_795_680_000_000));
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((row) => row.id)).size).toBe(25);
    expect(rows.every((row) => emittedAt(row.id) !== undefined)).toBe(true);
  });

  it('continues the table after K rows, remembering settled ids only when realistic', () => {
    expect(preloadedTable(1_000, 'fresh', 0).nextSeq).toEqual({ metric_log: 1_001, orphans: 1 });
    expect(preloadedTable(1_000, 'fresh', 0).settled).toEqual([]);
    expect(preloadedTable(100_000, 'realistic', 0, 20_000).settled).toHaveLength(20_000);
    expect(preloadedTable(500, 'realistic', 0, 20_000).settled).toHaveLength(500);
  });

  it('builds y_true then y_pred events of 100 halves from queues named as the mappings do', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `1795680000000-00000000-${String(i).padStart(4, '0')}`);
    const events = halfEvents(ids, 0);
    expect(events.map((event) => event.Records.length)).toEqual([100, 100, 50, 50]);
    expect(events[0]?.Records[0]?.eventSourceARN.endsWith(':y_true')).toBe(true);
    expect(events[1]?.Records[0]?.eventSourceARN.endsWith(':y_pred')).toBe(true);
    expect(JSON.parse(events[1]?.Records[0]?.body ?? '{}')).toMatchObject({ id: ids[0] });
  });
});

describe('the plot CLI phase', () => {
  it('generates the same rows from the same seed, as valid metric_log lines', () => {
    const a = generatedRows(0, 50, seededRandom(42));
    expect(generatedRows(0, 50, seededRandom(42))).toBe(a);
    expect(parseMetricLog(`${METRIC_LOG_HEADER}\n${a}`)).toHaveLength(50);
  });

  it('runs the CLI as npm run plot does, with this node', () => {
    const packageJson = JSON.stringify({ scripts: { plot: 'node --max-semi-space-size=1 -r tsx/cjs infra/plot/cli.ts' } });
    expect(plotCommand(packageJson, '/p/infra/plot/cli.ts')).toEqual({
      command: process.execPath,
      args: ['--max-semi-space-size=1', '-r', 'tsx/cjs', '/p/infra/plot/cli.ts'],
    });
    expect(plotCommand(JSON.stringify({ scripts: {} }), '/p/cli.ts').args).toEqual(['--import', 'tsx', '/p/cli.ts']);
    expect(plotCommand(JSON.stringify({ scripts: { plot: 'tsx infra/plot/cli.ts | tee x' } }), '/p/cli.ts').args).toEqual([
      '--import',
      'tsx',
      '/p/cli.ts',
    ]);
  });

  it('finds the --stats JSON line among other output', () => {
    const stdout = 'out.png: histogram of 3 absolute errors (MAE 1.167)\n{"rows":3,"wall_ms":120,"peak_rss_mb":88}\n';
    expect(parseStatsLine(stdout)).toEqual({ rows: 3, wall_ms: 120, peak_rss_mb: 88 });
    expect(parseStatsLine('nothing here')).toBeUndefined();
  });
});

describe('what the bench prints', () => {
  it('names a failed invocation by its error message, with a hint for a timeout', () => {
    const body = JSON.stringify({ errorMessage: '[504] - Lambda timeout.', errorType: 'Error', trace: ['Error: …', '    at …'] });
    expect(describeInvokeError(200, body)).toMatch(/^200 \[504\] - Lambda timeout\. \(the function ran past FUNCTION_TIMEOUT/);
    expect(describeInvokeError(404, JSON.stringify({ Message: 'Function not found' }))).toBe('404 Function not found');
    expect(describeInvokeError(500, 'plain text')).toBe('500 plain text');
  });

  it('writes one progress line', () => {
    expect(progressLine({ emitted: 4000, planned: 10_000, rows: 3500, recordsPerS: 812.4, depth: 240, elapsedS: 12.2 })).toBe(
      'emitted 4000/10000 · rows 3500 · 812 rec/s · depth 240 · 12 s',
    );
  });

  it('lines up the table and marks missed targets', () => {
    const table = formatTable([
      { metric: 'requests_per_record', value: '1.2', target: '≤ 1.0', ok: false },
      { metric: 'records', value: '10,000', target: '' },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^metric\s+value\s+target$/);
    expect(lines[2]).toMatch(/MISSED$/);
    expect(lines[3]).toMatch(/^records\s+10,000$/);
  });
});

/** The machine a report says it ran on, for the report tests. */
const machine: MachineInfo = {
  cpus: 2,
  cpu_model: 'test',
  memory_gb: 4,
  node: 'v20',
  platform: 'linux x64',
  moto: '5.2.1',
  date: '2026-11-27T00:00:00.000Z',
  load_average_at_start: [0, 0, 0],
};

describe('the emulator depth figure', () => {
  const side = (depth: number, ratio: number) => ({
    depth,
    depth_at_end: depth + 150,
    send: { p50_ms_depth0: 4, p50_ms_deep: 4 * ratio, ratio },
    receive: { p50_ms_depth0: 5, p50_ms_deep: 5, ratio: 1 },
    ratio: Math.max(ratio, 1),
    fill_s: 5,
  });
  const depth: DepthResult = { repeats: 15, wrapper: side(10_000, 1.1), plain: side(1_000, 30), plainNote: 'plain moto_server at 1000' };
  const inputs = (result: ReportInputs['depth']): ReportInputs => ({
    options: DEFAULTS,
    machine,
    capacity: { skipped: '--only depth' },
    pipeline: { skipped: '--only depth' },
    depth: result,
    metricCost: { skipped: '--only depth' },
    bundles: { skipped: '--only depth' },
    plot: { skipped: '--only depth' },
    benchWallS: 30,
  });

  it('reports p50s at depth 0 and 10k, their ratios, and plain moto beside them', () => {
    const report = buildReport(inputs({ ok: depth })) as Record<string, any>;

    expect(report.status).toBe('ok');
    expect(report.emulator_depth_ratio).toBeTypeOf('number');
    expect(report.emulator_depth_ratio).toBe(1.1);
    for (const operation of ['send', 'receive']) {
      expect(report.emulator_depth[operation].p50_ms_depth0).toBeTypeOf('number');
      expect(report.emulator_depth[operation].p50_ms_depth10k).toBeTypeOf('number');
      expect(report.emulator_depth[operation].ratio).toBeTypeOf('number');
      expect(report.emulator_depth.plain_moto[operation].p50_ms_at_depth).toBeTypeOf('number');
    }
    expect(report.emulator_depth.ratio).toBeTypeOf('number');
    expect(report.emulator_depth.plain_moto.depth).toBe(1_000);
    expect(report.emulator_depth.plain_moto.note).toBeTypeOf('string');
    expect(report.phases.emulator_depth).toBe('ok');
  });

  it('prints a row with the target of 2, marked when missed', () => {
    const ok = tableRows(buildReport(inputs({ ok: depth })));
    const missed = tableRows(buildReport(inputs({ ok: { ...depth, wrapper: side(10_000, 2.5) } })));

    expect(ok.find((row) => row.metric.startsWith('emulator_depth_ratio'))).toMatchObject({ target: '≤ 2', ok: true });
    expect(missed.find((row) => row.metric.startsWith('emulator_depth_ratio'))).toMatchObject({
      value: expect.stringMatching(/^2.50 /),
      ok: false,
    });
    expect(ok.some((row) => row.metric.includes('plain moto_server, depth 1,000'))).toBe(true);
  });

  it('says why the figure is missing when the phase was skipped or failed', () => {
    const skipped = buildReport(inputs({ skipped: '--skip-depth' }));
    const failed = buildReport(inputs({ error: 'moto_server exited early' }));

    expect(skipped.emulator_depth_ratio).toBeNull();
    expect(skipped.emulator_depth).toBe('skipped: --skip-depth');
    expect(tableRows(skipped).find((row) => row.metric === 'emulator_depth_ratio')?.value).toBe('skipped: --skip-depth');
    expect(failed.status).toBe('failed');
    expect(failed.failures).toEqual(['emulator depth: moto_server exited early']);
  });
});

describe('the burst mode', () => {
  const burst: BurstResult = {
    runs: 10,
    records_per_run: 500,
    records_emitted: 5000,
    records_not_sent: 0,
    records_half_sent: 0,
    invoke_ms: { p50: 4000, max: 4200 },
    features_failed: 0,
    drain_s: 34.2,
    records_per_s: 146.2,
    rows_missing: 0,
    rows_duplicated: 0,
    lambda_timeouts: 0,
    lambda_timeouts_by_function: {},
    batches_failed: 0,
    problems: [],
    dead_letters: { 'features-dlq': 0, 'y_true-dlq': 0, 'y_pred-dlq': 0 },
    settings: { RECORDS_PER_RUN: '500' },
  };
  const skippedRest = { skipped: '--only burst,depth' };
  const inputs = (result: ReportInputs['burst']): ReportInputs => ({
    options: DEFAULTS,
    machine,
    burst: result,
    capacity: skippedRest,
    pipeline: skippedRest,
    depth: skippedRest,
    metricCost: skippedRest,
    bundles: skippedRest,
    plot: skippedRest,
    benchWallS: 60,
  });

  it('is its own mode: the storm and the emulator depth, unless --only says otherwise', () => {
    const options = parseBenchArgs(['--burst', '40']) as NonNullable<ReturnType<typeof parseBenchArgs>>;

    expect(options.burstRuns).toBe(40);
    expect(options.burstRecordsPerRun).toBe(500);
    expect(options.only).toEqual(['burst', 'depth']);
    expect(skipReason(options, 'pipeline')).toBe('--only burst,depth');
    expect(skipReason(DEFAULTS, 'burst')).toBe('no --burst');
    expect(parseBenchArgs(['--burst', '5', '--only', 'burst'])?.only).toEqual(['burst']);
  });

  it('reports drain time, throughput, time-outs and dead letters, each row marked against its target', () => {
    const report = buildReport(inputs({ ok: burst })) as Record<string, any>;
    const failing = tableRows(
      buildReport(inputs({ ok: { ...burst, lambda_timeouts: 2, drain_s: null, records_per_s: null, rows_missing: 7 } })),
    );

    expect(report.status).toBe('ok');
    expect(report.burst.drain_s).toBe(34.2);
    expect(report.burst.dead_letters['y_true-dlq']).toBe(0);
    expect(report.phases.burst).toBe('ok');
    expect(tableRows(report).find((row) => row.metric.includes('drained'))).toMatchObject({ value: '34.2 s, 146.2 records/s', ok: true });
    expect(failing.find((row) => row.metric.includes('drained'))).toMatchObject({ value: 'not drained: 7 missing', ok: false });
    expect(failing.find((row) => row.metric.includes('time-outs'))).toMatchObject({ value: '2 / 0', ok: false });
  });

  it("counts serverless-offline's time-outs by function", () => {
    const output = [
      "× Unhandled Lambda Error during invoke of 'ml-monitor-dev-metric': Error: [504] - Lambda timeout.",
      "× Unhandled Lambda Error during invoke of 'ml-monitor-dev-predictor': Error: [504] - Lambda timeout.",
      "× Unhandled Lambda Error during invoke of 'ml-monitor-dev-metric': Error: [504] - Lambda timeout.",
      "× Unhandled Lambda Error during invoke of 'ml-monitor-dev-metric': Error: boom",
    ].join('\n');

    expect(timeoutsByFunction(output)).toEqual({ metric: 2, predictor: 1 });
  });

  it('says the burst was not asked for when it was not', () => {
    const report = buildReport({ ...inputs(undefined), burst: undefined }) as Record<string, any>;

    expect(report.burst).toBe('skipped: no --burst');
    expect(tableRows(report).some((row) => row.metric.startsWith('burst'))).toBe(false);
  });
});
