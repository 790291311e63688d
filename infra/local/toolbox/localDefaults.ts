/**
 * The local defaults every tool and test shares, in one place: where the project
 * is, the emulator endpoint and region, the bucket, the service and stage that name
 * the functions, and the ports: the settings modules' defaults (infra/local/settings.ts and
 * functions/commons/platform/settings.ts; infra may import functions, never the reverse).
 */
import { join } from 'node:path';
import { LOCAL_AWS_ENDPOINT, SETTINGS } from '../../../functions/commons/platform/settings.js';
import { LOCAL_SETTINGS, readLocalSetting } from '../settings.js';

export const PROJECT_DIR = join(__dirname, '..', '..', '..');

/** serverless.yml's `service` and its default stage (`${opt:stage, 'dev'}`). */
export const SERVICE = 'ml-monitor';
export const STAGE = 'dev';

/** A setting's default in settings.ts (each one used here has one). */
function defaultOf(setting: { readonly name: string; readonly default: string | undefined }): string {
  if (setting.default === undefined) throw new Error(`${setting.name} has no default`);
  return setting.default;
}

export const LOCAL_ENDPOINT = LOCAL_AWS_ENDPOINT;
export const LOCAL_REGION = defaultOf(SETTINGS.region);
export const BUCKET = defaultOf(SETTINGS.bucket);

/** The ports `npm start` uses when their variables are unset. */
export const PORTS = {
  aws: Number(new URL(LOCAL_AWS_ENDPOINT).port),
  quickchart: Number(new URL(defaultOf(SETTINGS.quickchartUrl)).port),
  lambda: Number(defaultOf(LOCAL_SETTINGS.lambdaPort)),
  http: Number(defaultOf(LOCAL_SETTINGS.offlineHttpPort)),
  websocket: Number(defaultOf(LOCAL_SETTINGS.offlineWebsocketPort)),
} as const;

/** Emulators accept any key; these are not secrets. */
export const DUMMY_CREDENTIALS = {
  accessKeyId: readLocalSetting('accessKeyId') ?? defaultOf(LOCAL_SETTINGS.accessKeyId),
  secretAccessKey: readLocalSetting('secretAccessKey') ?? defaultOf(LOCAL_SETTINGS.secretAccessKey),
};

/** The deployed name of a function of serverless.yml: `functionName('features')` is 'ml-monitor-dev-features'. */
export function functionName(key: string, stage = STAGE): string {
  return `${SERVICE}-${stage}-${key}`;
}
