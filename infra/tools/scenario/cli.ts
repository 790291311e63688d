/**
 * `npm run scenario -- drift|degrade [--rate N] [--minutes N] [--label-delay N] [--url URL]`:
 * feeds the running local stack a scenario through its HTTP API (scenarioRows.ts says
 * what each one does to the rows, feeder.ts how they are sent), prints a line a minute,
 * and at the end what to look at.
 */
import { parseArgs } from 'node:util';
import { readLocalSetting } from '../../local/settings.js';
import { PORTS } from '../../local/toolbox/localDefaults.js';
import type { FeedProgress } from './feeder.js';
import { SCENARIOS, type ScenarioName } from './scenarioRows.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const DEFAULTS = { rate: 20, minutes: 10, labelDelay: 3, seed: 1 } as const;
/** A request carries a second's predictions: at most the API's 500 items. */
const MAX_RATE = 500;

const defaultUrl = () => `http://localhost:${readLocalSetting('offlineHttpPort') ?? PORTS.http}`;

const USAGE = `usage: npm run scenario -- <drift|degrade> [--rate N] [--minutes N] [--label-delay N] [--url URL] [--seed N]

Feeds the running stack (\`npm start\`) the diabetes rows through its HTTP API, as the
built-in model's predictions with their features, and their true answers later.

  drift     bmi shifted up by 2 standard deviations: drift.json flags bmi, and the
            estimated MAE in metrics.json rises (43 → ~48) before the labels come
  degrade   inputs unchanged, predictions off by an error growing with bmi: once the
            labels come the MAE doubles and the mae_ratio alert fires

  --rate N          predictions a second, 1 to ${MAX_RATE} (default ${DEFAULTS.rate})
  --minutes N       how long to send predictions (default ${DEFAULTS.minutes})
  --label-delay N   minutes before each prediction's true answer is sent (default ${DEFAULTS.labelDelay})
  --url URL         the API (default http://localhost:$OFFLINE_HTTP_PORT, else :${PORTS.http}, as for \`npm start\`)
  --seed N          the rows drawn (default ${DEFAULTS.seed})

exit status: 0 every row sent, 1 the API refused or could not take rows, 2 bad usage`;

class UsageError extends Error {}

export interface ScenarioOptions {
  readonly scenario: ScenarioName;
  readonly rate: number;
  readonly minutes: number;
  readonly labelDelayMinutes: number;
  readonly url: string;
  readonly seed: number;
}

/** The options in `args`, 'help', or UsageError saying what is wrong. */
export function parseScenarioArguments(args: string[]): ScenarioOptions | 'help' {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        rate: { type: 'string' },
        minutes: { type: 'string' },
        'label-delay': { type: 'string' },
        url: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [scenario, ...extra] = positionals;
  if (!SCENARIOS.includes(scenario as ScenarioName)) throw new UsageError(`a scenario is needed: ${SCENARIOS.join(' or ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  const number = (flag: string, fallback: number, ok: (value: number) => boolean, wanted: string) => {
    const text = values[flag] as string | undefined;
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === '' || !ok(value)) throw new UsageError(`--${flag} needs ${wanted}, not ${JSON.stringify(text)}`);
    return value;
  };
  const url = (values.url as string | undefined) ?? defaultUrl();
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url))
    throw new UsageError(`--url needs an http:// or https:// address, not ${JSON.stringify(url)}`);
  return {
    scenario: scenario as ScenarioName,
    rate: number('rate', DEFAULTS.rate, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_RATE, `a whole number from 1 to ${MAX_RATE}`),
    minutes: number('minutes', DEFAULTS.minutes, (v) => Number.isFinite(v) && v > 0, 'a number of minutes above 0'),
    labelDelayMinutes: number('label-delay', DEFAULTS.labelDelay, (v) => Number.isFinite(v) && v >= 0, 'a number of minutes, 0 or more'),
    url,
    seed: number('seed', DEFAULTS.seed, Number.isSafeInteger, 'a whole number'),
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/** What to look at once the scenario has run, for the one that ran. */
export function whatToLookAt(scenario: ScenarioName, url: string): string {
  const watch =
    scenario === 'drift'
      ? [
          '  drift.json             bmi flagged as drifted for the model version (the other features not)',
          "  metrics.json           the version's estimated_mae above its reference's 43 from the first minutes, before the labels;",
          '                         its mae near it once they came',
        ]
      : [
          "  metrics.json           the model version's mae about twice the reference's 43 once the labels came",
          '  alerts.json            mae_ratio FIRING 3 minutes after the MAE of the last 15 minutes passed 1.5 × the 15 before',
          '                         (`npm run -s alerts` lists it), and coverage_below while the labels were late',
        ];
  return ['look at (in logs/, and in the bucket):', ...watch, `  the dashboard          ${url.replace(/\/+$/, '')}/`].join('\n');
}

async function run(args: string[]): Promise<number> {
  let options: ScenarioOptions | 'help';
  try {
    options = parseScenarioArguments(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`scenario: ${error.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  // Loaded once the command line is read: --help answers without the data set.
  const [{ readFileSync }, { DATA_FILE }, { parseDataset }, { assertModel, modelVersion }, { scenarioRows }, { FeedError, feedScenario }] =
    await Promise.all([
      import('node:fs'),
      import('../model/train.js'),
      import('../../../functions/commons/model/dataset.js'),
      import('../../../functions/commons/model/linearModel.js'),
      import('./scenarioRows.js'),
      import('./feeder.js'),
    ]);
  const model = assertModel((await import('../../../functions/commons/model/model.json')).default);
  const version = modelVersion(model);
  const next = scenarioRows(options.scenario, parseDataset(readFileSync(DATA_FILE, 'utf8')), model, options.seed);
  const { scenario, minutes, labelDelayMinutes, rate } = options;
  console.log(
    `scenario ${scenario}: ${rate} predictions/s of ${version} for ${minutes} min to ${options.url}, each labelled ${labelDelayMinutes} min later`,
  );
  const line = (progress: FeedProgress) =>
    console.log(
      `scenario ${scenario}: minute ${Math.round(progress.elapsedMs / 60_000)}: ${count(progress.sent)} predictions sent, ${count(progress.labelled)} labelled`,
    );
  try {
    const done = await feedScenario(next, {
      url: options.url,
      rate,
      durationMs: minutes * 60_000,
      labelDelayMs: labelDelayMinutes * 60_000,
      model: version,
      idPrefix: `${scenario}-${Date.now().toString(36)}`,
      onProgress: line,
    });
    console.log(`scenario ${scenario}: done: ${count(done.sent)} predictions sent, ${count(done.labelled)} labelled`);
    console.log(whatToLookAt(scenario, options.url));
    return 0;
  } catch (error) {
    if (!(error instanceof FeedError)) throw error;
    console.error(`scenario: ${error.message}`);
    return EXIT_FAILED;
  }
}

/** The command line `args` run: its output printed, its exit status set. */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await run(args);
  } catch (error) {
    console.error(`scenario: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT_FAILED;
  }
}

if (require.main === module) void main();
