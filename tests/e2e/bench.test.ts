/**
 * `npm run bench` for real, small: 300 records through the whole stack, 200 through
 * the HTTP ingestion API (on a stack of its own), the emulator probe and the bundles,
 * into a temporary bench.json. Checks that every
 * figure has a sane value (not merely a key) and that the bench cleaned up after
 * itself. Never asserts on speed: these machines vary, and the bench is for that.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

interface Run {
  readonly code: number | null;
  readonly pid: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let run: Run;
let report: Record<string, any>;

function runBench(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'bench/main.ts'), ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, pid: child.pid, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-e2e-'));
  run = await runBench([
    '--records',
    '300',
    '--skip-plot',
    '--skip-metric-cost',
    // A million-row log and 60 s of contention: the bench's own runs cover them; report.test.ts checks their keys.
    '--skip-compaction-cost',
    '--skip-contention',
    // The depth phase fills a queue to 10,000 messages: its own `--only depth` run covers it.
    '--skip-depth',
    '--capacity-records',
    '500',
    // The api phase's own run sends 3,000; here a batch of each kind is enough to check its figures.
    '--api-records',
    '200',
    '--timeout',
    '120',
    '--output',
    join(dir, 'bench.json'),
  ]);
  report = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as Record<string, any>;
}, 150_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run bench', () => {
  it('pushes every record through the real pipeline and exits 0', () => {
    expect(run.stderr).not.toMatch(/FAILED/);
    expect(run.code).toBe(0);
    expect(report.status).toBe('ok');
    expect(report.records).toBe(300);
    expect(report.pipeline.metric_log).toEqual({ rows: 300, distinctIds: 300, missing: 0, doubled: 0, unexpected: 0 });
  });

  it('reports throughput and latency from emission to row', () => {
    const { p50, p95, p99 } = report.latency_ms;

    expect(report.records_per_s).toBeGreaterThan(0);
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
  });

  it('counts the requests at the proxy: near the floor of three ten-message queue cycles per record', () => {
    const counted = Object.values(report.requests_by_operation as Record<string, number>).reduce((sum, n) => sum + n, 0);

    expect(report.requests_per_record).toBeGreaterThanOrEqual(0.9);
    expect(report.requests_per_record).toBeLessThan(3);
    expect(counted / report.records).toBeCloseTo(report.requests_per_record, 2);
    expect(report.requests_per_record_by_service.sqs + report.requests_per_record_by_service.s3).toBeCloseTo(report.requests_per_record, 2);
    for (const operation of ['sqs:SendMessageBatch', 'sqs:ReceiveMessage', 'sqs:DeleteMessageBatch', 's3:GetObject', 's3:PutObject']) {
      expect(report.requests_by_operation[operation], operation).toBeGreaterThan(0);
    }
  });

  it('counts the invocations at the proxy, the event source’s included, each with its time and batch', () => {
    const byFunction = report.invocations_by_function as Record<string, Record<string, number | null>>;
    const total = Object.values(byFunction).reduce((sum, f) => sum + (f.invocations as number), 0);

    expect(Object.keys(byFunction).sort()).toEqual(['features', 'maintain', 'metric', 'predictor']);
    expect(byFunction.features?.invocations).toBe(300 / report.settings.recordsPerRun);
    expect(byFunction.maintain?.invocations).toBeGreaterThanOrEqual(1);
    for (const fn of ['predictor', 'metric']) {
      expect(byFunction[fn]?.invocations, fn).toBeGreaterThan(0);
      expect(byFunction[fn]?.messages_per_batch, fn).toBeGreaterThan(0);
      expect(byFunction[fn]?.mean_duration_ms, fn).toBeGreaterThan(0);
      expect(byFunction[fn]?.errors, fn).toBe(0);
    }
    expect(report.invocations_per_record).toBeCloseTo(total / report.records, 3);
    expect(report.cost_estimate_usd_per_million_records.total).toBeGreaterThan(0);
  });

  it('sends records through the HTTP API and follows each to one row, with its requests and throughput', () => {
    const api = report.api as Record<string, any>;
    const routes = api.http_requests_by_route as Record<string, { count: number; statuses: Record<string, number> }>;
    const byService = api.requests_per_record_by_service as { sqs: number; s3: number; http: number };

    expect(api.status).toBe('ok');
    expect(api.records).toBe(200);
    expect(api.rows_ok).toBe(true);
    expect(api.metric_log).toEqual({ rows: 200, distinctIds: 200, missing: 0, doubled: 0, unexpected: 0 });
    expect(api.sent).toEqual({ truths: { sent: 200, refused: 0, failed: 0 }, predictions: { sent: 200, refused: 0, failed: 0 } });
    // One request of 200 items each way, unless one was retried.
    expect(routes['POST /truths']?.statuses['202']).toBe(1);
    expect(routes['POST /predictions']?.statuses['202']).toBe(1);
    expect(api.http_requests_per_record).toBeGreaterThanOrEqual(2 / 200);
    expect(api.requests_per_record).toBeCloseTo(byService.sqs + byService.s3 + byService.http, 2);
    expect(api.requests_by_operation['sqs:SendMessageBatch']).toBeGreaterThanOrEqual(40);
    expect(api.records_per_second).toBeGreaterThan(0);
    expect(api.send_records_per_second).toBeGreaterThan(api.records_per_second);
    expect(api.latency_ms.p50).toBeGreaterThan(0);
    expect(api.latency_ms.p50).toBeLessThanOrEqual(api.latency_ms.p99);
    expect(run.stdout).toMatch(/api rows_ok \(every id exactly one row\)\s+yes: 200 rows/);
  });

  it('reports memory, queue depth and the emulator yardstick', () => {
    const figures = [
      'peak_rss_mb',
      'emulator_peak_rss_mb',
      'max_queue_depth',
      'emulator_capacity_records_per_s',
      'pipeline_vs_emulator_ratio',
    ];

    for (const figure of figures) expect(report[figure], figure).toBeGreaterThan(0);
  });

  it('reports each bundle: bigger unzipped than zipped, under 1 MB, with an init time', () => {
    // Every function of serverless.yml: the pipeline's five among them (the HTTP API's come and go with their issues).
    expect(Object.keys(report.bundle_bytes)).toEqual(expect.arrayContaining(['features', 'maintain', 'metric', 'plot', 'predictor']));
    for (const fn of Object.keys(report.bundle_bytes)) {
      expect(report.bundle_bytes[fn], fn).toBeGreaterThan(report.zip_bytes[fn]);
      expect(report.bundle_bytes[fn], fn).toBeLessThan(1024 * 1024);
      expect(report.init_ms[fn], fn).toBeGreaterThan(0);
    }
  });

  it('records the machine and the settings it ran with: the shipped batch size and window', () => {
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.settings.recordsPerRun).toBe(50);
    expect(report.uses_shipped_defaults).toBe(true);
    expect(report.settings).toMatchObject({ batchSize: report.settings.shipped.batchSize, window: report.settings.shipped.window });
    expect(report.bench_wall_s).toBeGreaterThan(0);
  });

  it('says which phases it skipped', () => {
    expect(report.metric_cost_ratio_100k_vs_1k).toBeNull();
    expect(report.metric_cost).toBe('skipped: --skip-metric-cost');
    expect(report.plot_cli).toBe('skipped: --skip-plot');
    expect(report.emulator_depth).toBe('skipped: --skip-depth');
    expect(report.phases.metric_cost).toBe('skipped: --skip-metric-cost');
    expect(report.compaction_cost_ratio_1m_vs_10k).toBeNull();
    expect(report.table_contention).toBe('skipped: --skip-contention');
    expect(report.window_sweep).toBe('skipped: no --window-sweep');
  });

  it('prints the table and leaves no build folder behind', () => {
    expect(run.stdout).toMatch(/requests_per_record\s+\d\.\d{3} \(SQS \d\.\d{3}, S3 \d\.\d{3}\)/);
    const leftovers = readdirSync(PROJECT_DIR).filter(
      (name) => name.startsWith(`.esbuild-bench-${run.pid}-`) || name.startsWith(`.esbuild-bench-package-${run.pid}-`),
    );
    expect(leftovers).toEqual([]);
  });
});
