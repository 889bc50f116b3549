import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMotoInstalled, type Moto, startMoto } from '../../../tools/local/moto.js';
import { awsClientConfig } from '../../support/moto.js';

describe('moto harness', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('serves S3 over real HTTP and forgets everything on reset', async () => {
    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'harness' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['harness']);
    await moto.reset();
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });

  it('names moto_server and how to install it when it is missing', () => {
    expect(() => assertMotoInstalled('/nonexistent/moto_server')).toThrow(
      /moto_server was not found.*pip install/,
    );
  });

  it('parses each EventBridge input path and lists its own modules once, and logs no request', () => {
    // moto 5.2.1 builds a new LALR parser for each of the 8 input paths of every event it delivers to
    // a rule target, and lists its package folder on every request under one global lock: CPU under
    // the GIL that held every other request, the DynamoDB lock's holder included (events took 20 s
    // to reach the tap, claims timed out). The launcher memoizes both; results are unchanged.
    const launcher = fileURLToPath(new URL('../../../tools/local/', import.meta.url));
    const probe = spawnSync(
      process.env.MOTO_PYTHON ?? 'python3',
      [
        '-c',
        [
          'import sys, logging',
          `sys.path.insert(0, ${JSON.stringify(launcher)})`,
          'import moto_server',
          'from jsonpath_ng.ext import parse',
          'from moto import backends',
          "print(parse('$.detail') is parse('$.detail'))",
          "print(parse('$.id').find({'id': 'x'})[0].value)",
          'print(backends.list_of_moto_modules() is backends.list_of_moto_modules())',
          "print('dynamodb' in backends.list_of_moto_modules())",
          "print(logging.getLogger('werkzeug').getEffectiveLevel() >= logging.WARNING)",
        ].join('\n'),
      ],
      { encoding: 'utf8' },
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim().split('\n')).toEqual(['True', 'x', 'True', 'True', 'True']);
  });
});
