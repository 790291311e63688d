/**
 * `npm run bootstrap`: creates the queues, bucket and topic of serverless.yml on
 * AWS_ENDPOINT_URL (default http://localhost:4566), as `sls offline start` does.
 * `npm run bootstrap -- --localstack-script` rewrites LocalStack's init hook instead.
 */
import './sdkNotice.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readLocalSetting } from '../settings.js';
import { LOCAL_ENDPOINT, PROJECT_DIR } from '../toolbox/localDefaults.js';
import { printService, slsEnv } from '../toolbox/sls.js';
import { awsCliScript, bootstrap, type CfnResources, planFromResources } from './bootstrap.js';
import { localS3, localSns, localSqs } from './localClients.js';

export const LOCALSTACK_SCRIPT = join(PROJECT_DIR, 'infra/local/localstack/ready.d/bootstrap.sh');

/** The CloudFormation resources of serverless.yml, variables resolved by Serverless itself. */
export function templateResources(env: NodeJS.ProcessEnv = process.env): CfnResources {
  return printService<{ resources: { Resources: CfnResources } }>(slsEnv({}, env)).resources.Resources;
}

/** This shell's environment less the settings serverless.yml reads, so defaults apply. */
export function defaultsEnv(): NodeJS.ProcessEnv {
  const settings = /^(SQS_|BUCKET_NAME$|FUNCTION_TIMEOUT$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !settings.test(key)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'localstack-script': { type: 'boolean', default: false } } });
  if (values['localstack-script']) {
    const plan = planFromResources(templateResources(defaultsEnv()));
    writeFileSync(LOCALSTACK_SCRIPT, awsCliScript(plan), { mode: 0o755 });
    console.log(`wrote ${LOCALSTACK_SCRIPT}`);
    return;
  }
  const plan = planFromResources(templateResources());
  const endpoint = readLocalSetting('awsEndpoint') ?? LOCAL_ENDPOINT;
  const report = await bootstrap(plan, { sqs: localSqs(endpoint), s3: localS3(endpoint), sns: localSns(endpoint) });
  for (const [name, url] of Object.entries(report.queues)) console.log(`queue  ${name.padEnd(12)} ${url}`);
  for (const bucket of report.buckets) console.log(`bucket ${bucket}`);
  for (const arn of Object.values(report.topics)) console.log(`topic  ${arn}`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`bootstrap failed: ${error.message}`);
    process.exit(1);
  });
}
