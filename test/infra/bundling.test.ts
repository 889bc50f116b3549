import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildAliases, PIPELINE_BUNDLING } from '../../infra/bundling.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs a bundle in a fresh Node process (asynchronously: the test's own HTTP server must answer it). */
async function runBundle(
  bundle: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [bundle], { env, timeout: 20_000 });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stderr: failed.stderr ?? '' };
  }
}

/** Bundles `source` (a module in the project root) with the deployed options; returns the bundle's path. */
async function bundleLikeLambda(dir: string, source: string): Promise<string> {
  const entry = join(ROOT, `.bundling-test-${process.pid}.ts`);
  writeFileSync(entry, source);
  try {
    return (await bundleEntry(dir, entry)).outfile;
  } finally {
    rmSync(entry, { force: true });
  }
}

/** Bundles `entry` with the deployed options; returns the bundle's path and the files it holds. */
async function bundleEntry(dir: string, entry: string): Promise<{ outfile: string; inputs: string[] }> {
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: PIPELINE_BUNDLING.format,
    target: PIPELINE_BUNDLING.target,
    minify: PIPELINE_BUNDLING.minify,
    mainFields: [...PIPELINE_BUNDLING.mainFields],
    banner: { js: PIPELINE_BUNDLING.banner },
    external: [...PIPELINE_BUNDLING.externalModules],
    alias: esbuildAliases(ROOT),
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  return { outfile, inputs: Object.keys(result.metafile.inputs) };
}

describe('the Lambda bundles and AWS credentials', () => {
  let dir: string;
  let server: Server;
  let endpoint: string;
  const requests: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liveness-bundling-'));
    server = createServer((request, response) => {
      requests.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end('{"TableNames":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = `import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ endpoint: process.env.ENDPOINT });
try {
  await client.send(new ListTablesCommand({}));
} finally {
  client.destroy();
}
`;

  it('signs calls with the credentials Lambda puts in the environment, session token included', async () => {
    const bundle = await bundleLikeLambda(dir, client);
    const run = await runBundle(bundle, {
      PATH: process.env.PATH ?? '',
      ENDPOINT: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'bundle-secret',
      AWS_SESSION_TOKEN: 'bundle-session-token',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    expect(run.code, run.stderr).toBe(0);
    const signed = requests.at(-1);
    expect(signed?.authorization).toMatch(/Credential=ASIABUNDLETEST\/\d{8}\/eu-west-1\/dynamodb\//);
    expect(signed?.['x-amz-security-token']).toBe('bundle-session-token');
  });

  it('fails a call, naming the variables, when the environment has no credentials', async () => {
    const bundle = await bundleLikeLambda(dir, client);
    const run = await runBundle(bundle, {
      PATH: process.env.PATH ?? '',
      ENDPOINT: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.slice(-2000)).toContain('AWS_ACCESS_KEY_ID');
  });

  it("leaves out the default chain's sources that Lambda never uses (SSO, profiles, web identity, process, metadata)", async () => {
    const text = readFileSync(await bundleLikeLambda(dir, client), 'utf8');
    for (const source of ['fromSSO', 'fromIni', 'fromProcess', 'fromTokenFile', 'fromInstanceMetadata']) {
      expect(text.includes(`defaultProvider::${source}`), source).toBe(false);
    }
    expect(text.includes('credential-provider-imds')).toBe(false);
  });
});

describe('the checker bundle and undici', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'liveness-bundling-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("holds only the parts of undici the vendor client uses, not the package's entry (fetch, WebSocket, caches, mocks)", async () => {
    const { inputs } = await bundleEntry(dir, join(ROOT, 'functions/checker/handler.ts'));
    const undici = inputs.filter((file) => file.includes('node_modules/undici/'));
    expect(undici.some((file) => file.endsWith('undici/lib/dispatcher/agent.js'))).toBe(true);
    expect(undici.filter((file) => file.endsWith('undici/index.js'))).toEqual([]);
    expect(
      undici.filter((file) => /\/lib\/(web\/(websocket|eventsource|cache)|mock|cache)\//.test(file)),
    ).toEqual([]);
  });
});
