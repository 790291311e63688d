/**
 * `npm run alerts`: the alerts the local stack published, from the queue the
 * bootstrap subscribed to the alerts topic (alerts-inbox), oldest first, newest last.
 * They stay in the queue unless `--delete` is given.
 */
import '../../local/cloud/sdkNotice.js';
import { parseArgs } from 'node:util';
import { ALERTS_INBOX } from '../../local/cloud/bootstrap.js';
import { localSqs } from '../../local/cloud/localClients.js';
import { readLocalSetting } from '../../local/settings.js';
import { LOCAL_ENDPOINT } from '../../local/toolbox/localDefaults.js';
import { formatAlert, InboxNotFoundError, readInbox } from './inbox.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage: npm run alerts -- [--delete] [--json] [--queue NAME]

Lists the alerts (FIRING and RESOLVED) in the local alerts inbox, oldest first,
newest last; they stay in the queue unless --delete is given.

options:
  --delete       take the listed alerts out of the queue
  --json         one alert's JSON per line, as published
  --queue NAME   the queue to read (default ${ALERTS_INBOX})
  -h, --help     this text

environment:
  AWS_ENDPOINT_URL  the emulator (default ${LOCAL_ENDPOINT}, as for \`npm start\`)

exit status: 0 listed, 1 failed, 2 bad usage`;

async function main(args: string[]): Promise<number> {
  let values: { delete?: boolean; json?: boolean; queue?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        delete: { type: 'boolean' },
        json: { type: 'boolean' },
        queue: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message.split('\n')[0]}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const endpoint = readLocalSetting('awsEndpoint') ?? LOCAL_ENDPOINT;
  const queue = values.queue ?? ALERTS_INBOX;
  const sqs = localSqs(endpoint);
  try {
    const alerts = await readInbox(sqs, queue, { remove: values.delete === true });
    for (const item of alerts) console.log(values.json ? item.raw : formatAlert(item));
    const firing = alerts.filter((item) => item.alert?.state === 'FIRING').length;
    console.error(
      `${alerts.length} alert${alerts.length === 1 ? '' : 's'} in ${queue} at ${endpoint} (${firing} FIRING, ${alerts.length - firing} RESOLVED or other)` +
        (values.delete ? '; deleted' : '; left in the queue (--delete takes them out)'),
    );
    return 0;
  } catch (error) {
    if (error instanceof InboxNotFoundError) console.error(error.message);
    else console.error(`could not read ${queue} at ${endpoint}: ${(error as Error).message}`);
    return EXIT_FAILED;
  } finally {
    sqs.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
