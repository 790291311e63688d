/**
 * The moto_server wrapper (infra/cloud/fast_moto_server.py) changes one thing: the
 * per-request scan of moto's module folders is done once. It must answer exactly as
 * moto_server does.
 */
import { spawnSync } from 'node:child_process';
import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { localS3, localSqs } from '../../infra/cloud/localClients.js';
import { FAST_MOTO_WRAPPER, fastMotoPython, startMoto } from '../../infra/cloud/moto.js';
import { findFreePort } from '../../infra/cloud/net.js';

const python = fastMotoPython();

describe.skipIf(python === null)('the fast moto_server wrapper', () => {
  it('caches exactly the module list moto computes', () => {
    const check = [
      'import importlib.util, moto.backends as b',
      'original = set(b.list_of_moto_modules())',
      `spec = importlib.util.spec_from_file_location("fast", ${JSON.stringify(FAST_MOTO_WRAPPER)})`,
      'spec.loader.exec_module(importlib.util.module_from_spec(spec))',
      'assert b.list_of_moto_modules() is b.list_of_moto_modules(), "not cached"',
      'assert set(b.list_of_moto_modules()) == original, "different modules"',
      'assert "sqs" in original and "s3" in original',
      'print(len(original))',
    ].join('\n');

    const run = spawnSync(python as string, ['-c', check], { encoding: 'utf8' });

    expect(run.stderr).toBe('');
    expect(Number(run.stdout)).toBeGreaterThan(100);
  });

  it('serves SQS and S3 like moto_server', async () => {
    const moto = await startMoto(await findFreePort(), { fast: true });
    const sqs = localSqs(moto.url);
    const s3 = localS3(moto.url);
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: 'wrapped' }));
      await s3.send(new CreateBucketCommand({ Bucket: 'wrapped-bucket' }));

      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.[0]).toMatch(/\/wrapped$/);
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['wrapped-bucket']);
      expect(spawnSync('ps', ['-o', 'args=', '-p', String(moto.child.pid)], { encoding: 'utf8' }).stdout).toContain('fast_moto_server.py');
    } finally {
      sqs.destroy();
      s3.destroy();
      await moto.stop();
    }
  });
});
