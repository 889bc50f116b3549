import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient } from '../../../client/index.js';
import { type LocalPipeline, startLocalPipeline } from '../../../tools/local/runtime.js';
import { makePng } from '../../../tools/simulator/images.js';

/**
 * `npm start`'s state folder as another terminal sees it: `.local/` under the folder it runs in
 * (npm runs scripts in the package root), with an earlier run's leftovers there before it starts.
 */
let pipeline: LocalPipeline | undefined;
let cwd: string;
const local = () => join(cwd, '.local');

/**
 * `npm run ops -- <argv>` from another terminal: another process, in `cwd`, with none of this
 * process's environment (the runtime put `AWS_ENDPOINT_URL` and `AWS_REGION` into it). Asynchronous,
 * so this process's pipeline can answer while it runs.
 */
async function opsFromAnotherTerminal(argv: string[]): Promise<{ code: number; stdout: string }> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const entry = resolve('tools/ops/main.ts');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, entry, ...argv], {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        // No shared AWS config or credentials of this machine: nothing names a region or a stack.
        HOME: cwd,
        AWS_CONFIG_FILE: join(cwd, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TSX_TSCONFIG_PATH: resolve('tsconfig.json'),
      },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'local-state-'));
  // What an earlier `npm start` left: its events (moto's state they describe is gone) and its resources.
  mkdirSync(join(local(), 'events'), { recursive: true });
  writeFileSync(join(local(), 'events', '0b9d6d4e-earlier-run.json'), '{"detail":{"checkId":"x"}}\n');
  writeFileSync(
    join(local(), 'resources.json'),
    `${JSON.stringify({ apiUrl: 'http://127.0.0.1:9', tableName: 'earlier-run-table', pid: 1 })}\n`,
  );
  pipeline = await startLocalPipeline({
    port: 0,
    retryDelaySeconds: 1,
    resourcesFile: join(local(), 'resources.json'),
    eventsDir: join(local(), 'events'),
    sweepIntervalMs: 3_600_000,
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

describe("npm start's .local/ holds this run's state only", () => {
  it("keeps none of an earlier run's events and writes this run's resources, with its pid", async () => {
    const running = pipeline as LocalPipeline;
    const events = join(local(), 'events');
    expect(existsSync(events) ? readdirSync(events) : []).toEqual([]);
    const resources = JSON.parse(readFileSync(join(local(), 'resources.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(resources).toMatchObject({
      apiUrl: running.apiUrl,
      tableName: running.resources.tableName,
      pid: process.pid,
    });

    const app = createLivenessClient({
      baseUrl: running.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
    });
    const { checkId } = await app.checkSelfie(makePng({ width: 200, height: 200, seed: 1 }));
    for (let i = 0; i < 100 && !existsSync(join(events, `${checkId}.json`)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readdirSync(events)).toEqual([`${checkId}.json`]);
  });
});

describe('npm run ops -- status, as the banner prints it, from another terminal', () => {
  it('finds the running local pipeline by its .local/resources.json and says so on its first line', async () => {
    const { code, stdout } = await opsFromAnotherTerminal(['status']);
    expect(code).toBe(0);
    const [first, second] = stdout.split('\n');
    expect(first).toBe(
      `ops: the local pipeline running here (${join(local(), 'resources.json')}, pid ${process.pid}): no --stack, --region or --resources given`,
    );
    expect(second).toMatch(/^status of local pipeline/);
    expect(stdout).toMatch(/selfie queue\s+\d+/);
  }, 40_000);

  it('says no local pipeline is running and no stack is named once the pipeline has stopped', async () => {
    await pipeline?.stop();
    pipeline = undefined;
    const { code, stdout } = await opsFromAnotherTerminal(['status']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ops status: the local pipeline of \S+resources\.json is not running \(/);
    expect(stdout).toContain('and no stack is named');
    expect(stdout).toContain('start the local pipeline with npm start');
    expect(stdout).toContain('--stack <name> --region <region>');
  }, 40_000);
});
