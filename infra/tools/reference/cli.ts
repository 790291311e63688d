/**
 * `npm run reference -- --model v1 --csv ref.csv [--out ref.json]`: builds a model
 * version's reference (drift/modelReference.ts: feature and prediction percentiles, the
 * loss model) from a CSV of rows it was judged on, and puts it at
 * `references/<model>.json` in the local stack's bucket, or in a file with --out. On AWS
 * the same rows go through the API: `PUT /references/{model}` (docs/api.md).
 */
import '../../local/cloud/sdkNotice.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MIN_REFERENCE_ROWS, referenceKey } from '../../../functions/commons/drift/modelReference.js';
import { checkModelName } from '../../../functions/commons/ingest/referenceRequest.js';
import { readLocalSetting } from '../../local/settings.js';
import { BUCKET, LOCAL_ENDPOINT, LOCAL_REGION } from '../../local/toolbox/localDefaults.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage: npm run reference -- --model <version> --csv <file.csv> [--out <file.json>]

Builds the reference of a model version (the percentiles of its features and
predictions, and the loss model that estimates its MAE before labels come) from rows
it was judged on, and puts it at ${referenceKey('<version>')} in the local stack's
bucket, where drift and the estimated MAE of that version are measured against it.

  --model VERSION  the model version, as predictions name it (letters, digits and . _ : + -)
  --csv FILE       a header line, then one row per line: id, the features (a number, or a
                   category's name, which is left out of the reference), y_pred, y_true;
                   at least ${MIN_REFERENCE_ROWS} rows
  --out FILE       write the reference to this file instead of the bucket
  -h, --help       this text

environment:
  AWS_ENDPOINT_URL  the emulator (default ${LOCAL_ENDPOINT}, as for \`npm start\`)
  BUCKET_NAME       the bucket (default ${BUCKET})

On AWS, send the rows to the API instead: PUT /references/{model} (docs/api.md).

exit status: 0 stored, 1 could not store it, 2 bad usage or a file that makes no reference`;

/** A bad command line or a file that makes no reference (exit status 2). */
class UsageError extends Error {}

interface Options {
  readonly model: string;
  readonly csv: string;
  readonly out: string | undefined;
}

function parseOptions(args: string[]): Options | 'help' {
  let values: { model?: string; csv?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { model: { type: 'string' }, csv: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (values.model === undefined || values.csv === undefined) throw new UsageError(`--model and --csv are needed\n\n${USAGE}`);
  const model = checkModelName(values.model);
  if (!model.ok) throw new UsageError(`--model ${JSON.stringify(values.model)}: ${model.reason}`);
  return { model: model.model, csv: values.csv, out: values.out };
}

/** The reference's JSON and its one-line summary, or UsageError saying why the file makes none. */
async function build(options: Options) {
  const [{ buildModelReference }, { parseReferenceCsv, ReferenceCsvError }, { formatReferenceSummary, referenceSummary }] =
    await Promise.all([
      import('../../../functions/commons/drift/modelReference.js'),
      import('./referenceCsv.js'),
      import('../../../functions/commons/ingest/referenceRequest.js'),
    ]);
  let text: string;
  try {
    text = readFileSync(options.csv, 'utf8');
  } catch (error) {
    throw new UsageError(`${options.csv}: ${(error as { code?: string }).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let rows: ReturnType<typeof parseReferenceCsv>['rows'];
  try {
    ({ rows } = parseReferenceCsv(text));
  } catch (error) {
    if (error instanceof ReferenceCsvError) throw new UsageError(`${options.csv}: ${error.message}`);
    throw error;
  }
  if (rows.length < MIN_REFERENCE_ROWS)
    throw new UsageError(`${options.csv}: ${rows.length} rows, a reference needs at least ${MIN_REFERENCE_ROWS}`);
  const { reference, skipped } = buildModelReference(options.model, rows);
  return { json: JSON.stringify(reference), line: (where: string) => formatReferenceSummary(referenceSummary(reference, skipped), where) };
}

async function upload(model: string, json: string): Promise<string> {
  const endpoint = readLocalSetting('awsEndpoint') ?? LOCAL_ENDPOINT;
  const bucket = readLocalSetting('bucket') ?? BUCKET;
  const [{ localS3 }, { putObject, statusOf }] = await Promise.all([
    import('../../local/cloud/localClients.js'),
    import('../../../functions/commons/storage/s3Objects.js'),
  ]);
  const s3 = localS3(endpoint, readLocalSetting('region') ?? LOCAL_REGION);
  const key = referenceKey(model);
  try {
    await putObject(s3, bucket, key, json, 'application/json');
    return `stored in bucket ${bucket} at ${endpoint}`;
  } catch (error) {
    const code = (error as { code?: string; name?: string }).code ?? (error as { name?: string }).name;
    const why =
      code === 'ECONNREFUSED'
        ? `nothing answers at ${endpoint}: is \`npm start\` running? (or set AWS_ENDPOINT_URL)`
        : code === 'NoSuchBucket' || statusOf(error) === 404
          ? `no bucket ${bucket} at ${endpoint} (\`npm start\` creates it)`
          : (error as Error).message.split('\n')[0];
    throw new Error(`could not store ${key}: ${why}`);
  } finally {
    s3.destroy();
  }
}

async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { json, line } = await build(options);
  if (options.out !== undefined) {
    writeFileSync(options.out, `${json}\n`);
    console.log(line(`written to ${options.out}`));
  } else {
    console.log(line(await upload(options.model, json)));
  }
  return 0;
}

/** The command line `args` run: its output printed, its exit status set. */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await run(args);
  } catch (error) {
    console.error(`reference: ${(error as Error).message}`);
    process.exitCode = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}

if (require.main === module) void main();
