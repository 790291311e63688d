/**
 * The history phase's work that needs a process of its own (history.ts starts it as
 * `node --import tsx bench/historyChild.ts --role <role> --handler <bundle> …`):
 * the handlers read their configuration and create their clients at load, so a fresh
 * process loading a handler's bundle (handlerBundles.ts: as Lambda loads it) is a cold
 * start against one history's bucket. Prints one JSON line.
 *
 * - `build`: the real `maintain` finds the one-object logs and migrates them into
 *   pieces (migration.ts), files their ids and keeps their books, as on the first runs
 *   in an upgraded bucket (setup, not a measured figure);
 * - `maintain`: its first invocation, with a minute's segments waiting (the parent
 *   wrote them): open the logs, append, publish. Then `--rounds` warm runs, each after
 *   writing another minute's segments, as `metric` would;
 * - `plot`: its first invocation (QUICKCHART_URL unset: it draws in the function);
 * - `dashboard`: its first load: the page, its two scripts, then the four documents
 *   the page fetches at once.
 *
 * Times are of the invocations alone; the bundle's load (Lambda's init) is reported
 * beside them. Peak RSS is the child's high-water mark after the first
 * invocation, and each invocation's S3 traffic is counted (httpTraffic.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HttpTraffic, NO_TRAFFIC, type Traffic } from './httpTraffic.js';
import { statusFieldMb } from './procfs.js';

export const ROLES = ['build', 'maintain', 'plot', 'dashboard'] as const;
export type Role = (typeof ROLES)[number];

/** What a child prints; the fields beyond the common ones depend on the role. */
export interface ChildReport {
  readonly role: Role;
  readonly loadMs: number;
  /** The first invocation (build: all of them), or the dashboard's first load. */
  readonly firstMs: number;
  readonly peakRssMb: number;
  /** Resident memory before the bundle loaded: node, tsx and this script. */
  readonly baselineRssMb: number;
  readonly traffic: Traffic;
  /** maintain: the warm runs, each after a minute's segments. */
  readonly rounds?: readonly { readonly ms: number; readonly traffic: Traffic }[];
  /** maintain and build: rows in metric_log (and orphans) after the first invocation. */
  readonly rows?: number;
  readonly orphans?: number;
  /** build: maintain runs the migration took. */
  readonly invocations?: number;
}

/** Settings the handlers read at import: this history's bucket on the phase's emulator, and nothing of this shell's. */
function useBucket(endpoint: string, bucket: string): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    BUCKET_NAME: bucket,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  // As on AWS: no LOGS_DIR copies, no chart server, no plot invoke, no alerts topic, not serverless-offline.
  for (const name of ['LOGS_DIR', 'QUICKCHART_URL', 'PLOT_FUNCTION_NAME', 'ALERTS_TOPIC_ARN', 'IS_OFFLINE']) delete process.env[name];
}

function memoryMb(field: 'VmHWM' | 'VmRSS'): number {
  try {
    const mb = statusFieldMb(readFileSync('/proc/self/status', 'utf8'), field);
    if (mb !== undefined) return mb;
  } catch {
    // not Linux
  }
  return field === 'VmHWM' ? process.resourceUsage().maxRSS / 1024 : process.memoryUsage.rss() / 1024 / 1024;
}
const peakRssMb = () => memoryMb('VmHWM');
/** Taken before anything of the handler loads. */
const baselineRssMb = memoryMb('VmRSS');

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

type Maintain = typeof import('../functions/maintain.js').handler;
type Plot = typeof import('../functions/plot.js').handler;
type Dashboard = typeof import('../functions/dashboard.js').handler;

/** Loads a handler's bundle, timed: Lambda's init. */
function load<T>(bundle: string): Promise<{ value: { handler: T }; ms: number }> {
  return timed(async () => require(bundle) as { handler: T });
}
const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });
/** maintain's timeout (serverless.yml): the handler gives the migration and the flush half of what is left. */
const MAINTAIN_TIMEOUT_MS = 60_000;

async function build(bundle: string): Promise<ChildReport> {
  const loaded = await load<Maintain>(bundle);
  const handler = loaded.value.handler;
  // Hours to go: the migration runs until it is done (on AWS it would go on over the next minutes' runs).
  const started = performance.now();
  let invocations = 0;
  for (;;) {
    invocations += 1;
    const result = await handler(undefined, context(4 * 3_600_000));
    if (result.rows > 0) {
      return {
        role: 'build',
        loadMs: loaded.ms,
        firstMs: performance.now() - started,
        peakRssMb: peakRssMb(),
        baselineRssMb,
        traffic: NO_TRAFFIC,
        rows: result.rows,
        orphans: result.orphans,
        invocations,
      };
    }
    if (invocations >= 10) throw new Error(`maintain had not migrated the logs after ${invocations} runs`);
  }
}

async function maintain(
  bundle: string,
  endpoint: string,
  bucket: string,
  rounds: number,
  minute: number,
  expected: number,
): Promise<ChildReport> {
  const traffic = new HttpTraffic();
  traffic.start();
  const loaded = await load<Maintain>(bundle);
  const handler = loaded.value.handler;
  traffic.take();
  const first = await timed(() => handler(undefined, context(MAINTAIN_TIMEOUT_MS)));
  const firstTraffic = traffic.take();
  const peak = peakRssMb();
  if (first.value.rowsAdded !== expected) {
    throw new Error(`maintain's first run appended ${first.value.rowsAdded} rows, not the waiting minute's ${expected}`);
  }
  // Only now the bench's own writer: nothing of it is loaded before the cold start.
  const [{ localS3 }, { writeSegment }, { readLogHeads }, { LOGS }, shape, { seededRandom }, { modelVersion, assertModel }, model] =
    await Promise.all([
      import('../infra/local/cloud/localClients.js'),
      import('../functions/commons/logs/segments.js'),
      import('../functions/commons/logs/logHeads.js'),
      import('../functions/commons/logs/logFiles.js'),
      import('./historyShape.js'),
      import('../functions/commons/seededRandom.js'),
      import('../functions/commons/model/linearModel.js'),
      import('../functions/commons/model/model.json'),
    ]);
  const s3 = localS3(endpoint);
  const version = modelVersion(assertModel(model.default));
  const random = seededRandom(minute + 1);
  const warm: { ms: number; traffic: Traffic }[] = [];
  let rows = first.value.rows;
  for (let round = 0; round < rounds; round++) {
    const heads = await readLogHeads(s3, bucket);
    if (heads === undefined) throw new Error(`s3://${bucket} has no log heads after maintain ran`);
    const segments = shape.minuteSegments({
      firstSeq: heads.metric_log.lastSeq + 1,
      nowMs: Date.now(),
      minute: minute + 1 + round,
      model: version,
      random,
    });
    await Promise.all(segments.map((segment) => writeSegment(s3, bucket, LOGS.metric_log, segment.firstSeq, segment.lines)));
    traffic.take();
    const run = await timed(() => handler(undefined, context(MAINTAIN_TIMEOUT_MS)));
    warm.push({ ms: run.ms, traffic: traffic.take() });
    if (run.value.rowsAdded !== shape.MINUTE_ROWS) {
      throw new Error(`warm maintain run ${round + 1} appended ${run.value.rowsAdded} rows, not a minute's ${shape.MINUTE_ROWS}`);
    }
    rows = run.value.rows;
  }
  s3.destroy();
  return {
    role: 'maintain',
    loadMs: loaded.ms,
    firstMs: first.ms,
    peakRssMb: peak,
    baselineRssMb,
    traffic: firstTraffic,
    rounds: warm,
    rows,
    orphans: first.value.orphans,
  };
}

async function plot(bundle: string): Promise<ChildReport> {
  const traffic = new HttpTraffic();
  traffic.start();
  const loaded = await load<Plot>(bundle);
  traffic.take();
  const first = await timed(() => loaded.value.handler());
  if (!first.value.plotted) throw new Error('plot drew nothing: histogram.json is missing or empty');
  return {
    role: 'plot',
    loadMs: loaded.ms,
    firstMs: first.ms,
    peakRssMb: peakRssMb(),
    baselineRssMb,
    traffic: traffic.take(),
    rows: first.value.rows,
  };
}

/** What the page asks for on its first load: itself, its scripts, then its five documents at once (dashboard.client.js). */
export const FIRST_LOAD = [
  [''],
  ['dashboard.js', 'chart.umd.js'],
  ['metrics.json', 'histogram.json', 'rows.json', 'alerts.json', 'drift.json'],
] as const;

async function dashboard(bundle: string): Promise<ChildReport> {
  const traffic = new HttpTraffic();
  traffic.start();
  const loaded = await load<Dashboard>(bundle);
  const handler = loaded.value.handler;
  traffic.take();
  const first = await timed(async () => {
    for (const wave of FIRST_LOAD) {
      const answers = await Promise.all(wave.map((file) => handler({ pathParameters: { file } })));
      answers.forEach((answer, i) => {
        if (answer.statusCode !== 200)
          throw new Error(`GET /${wave[i]} answered ${answer.statusCode}: ${String(answer.body).slice(0, 200)}`);
      });
    }
  });
  return { role: 'dashboard', loadMs: loaded.ms, firstMs: first.ms, peakRssMb: peakRssMb(), baselineRssMb, traffic: traffic.take() };
}

if (require.main === module) {
  const usage =
    'usage: node --import tsx bench/historyChild.ts --role build|maintain|plot|dashboard --handler BUNDLE --endpoint URL --bucket NAME ' +
    '[--rounds R --minute M --expected ROWS]';
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      handler: { type: 'string' },
      endpoint: { type: 'string' },
      bucket: { type: 'string' },
      rounds: { type: 'string', default: '0' },
      minute: { type: 'string', default: '0' },
      expected: { type: 'string', default: '0' },
    },
    strict: true,
  });
  const role = values.role as Role | undefined;
  const [rounds, minute, expected] = [values.rounds, values.minute, values.expected].map(Number) as [number, number, number];
  const { handler, endpoint, bucket } = values;
  if (
    role === undefined ||
    !ROLES.includes(role) ||
    !handler ||
    !endpoint ||
    !bucket ||
    ![rounds, minute, expected].every(Number.isInteger)
  ) {
    console.error(usage);
    process.exit(2);
  }
  useBucket(endpoint, bucket);
  const work = {
    build: () => build(handler),
    maintain: () => maintain(handler, endpoint, bucket, rounds, minute, expected),
    plot: () => plot(handler),
    dashboard: () => dashboard(handler),
  }[role];
  work()
    .then((report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    })
    .catch((error: Error) => {
      console.error(`history ${role}: ${error.stack ?? error.message}`);
      process.exit(1);
    });
}
