/**
 * Every shell command README.md, CONTRIBUTING.md, bench/README.md and docs/*.md show is run here as written (against `npm start` where
 * it needs a pipeline), or is run by a named test or CI, or is listed in `NEEDS_AWS` or
 * `NEEDS_NETWORK` with the reason; a command found in neither fails, named by file and line. The
 * TypeScript snippets of docs/apps.md and docs/events.md are compiled against the repository's code.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient } from '../../client/index.js';
import { systemClock } from '../../shared/clock.js';
import { runOps } from '../../tools/ops/run.js';
import { makeJpeg } from '../../tools/simulator/images.js';
import { READER_DOCS, ROOT } from './helpers.js';

const DOCS = READER_DOCS;

/** A command a document shows: fenced in sh/bash/shell, or inline in backticks in its prose. */
interface DocCommand {
  file: string;
  line: number;
  command: string;
}

/** The words an inline code span must start with to be read as a command. */
const COMMAND_WORDS = /^(npm|npx|aws|curl|pip|git|cdk) /;

/** Drops a `#` comment that is outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}

const normalize = (command: string) => command.replace(/\s+/g, ' ').trim();

/** The commands of one document: fenced lines (continuations joined, `&&` split) and inline spans. */
function extractCommands(file: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  let pending: { line: number; text: string } | undefined;
  const add = (line: number, command: string) => {
    for (const part of command.split(' && '))
      if (normalize(part)) found.push({ file, line, command: normalize(part) });
  };
  lines.forEach((raw, index) => {
    const line = index + 1;
    const opening = /^\s*```(\S*)/.exec(raw);
    if (opening) {
      fence = fence === undefined ? opening[1] : undefined;
      return;
    }
    if (fence === undefined) {
      for (const [, span] of raw.matchAll(/`([^`]+)`/g))
        if (span && COMMAND_WORDS.test(span)) add(line, span);
      return;
    }
    if (!['sh', 'bash', 'shell'].includes(fence)) return;
    const code = stripComment(raw).trimEnd();
    const joined = pending ? `${pending.text} ${code.trim()}` : code;
    const start = pending?.line ?? line;
    if (joined.endsWith('\\')) pending = { line: start, text: joined.slice(0, -1) };
    else {
      pending = undefined;
      add(start, joined);
    }
  });
  return found;
}

/** What a run of the commands shares: the workspace, the pipeline's resources, a check it made. */
interface RunContext {
  workspace: string;
  resources: { apiUrl: string; vendorUrl: string };
  checkId?: string;
}

interface Executed {
  /** The documented forms this run covers, exactly as shown (a command's bare name included). */
  forms: string[];
  /** The command line run in the workspace: the documented one, placeholders filled. */
  run: (ctx: RunContext) => string;
  stdin?: string;
  env?: (ctx: RunContext) => NodeJS.ProcessEnv;
  /**
   * `npm run ops -- <args>` spawned through npm (about 4 s each, most of it npm and tsx starting):
   * the rest run through `runOps` in this process, as `tools/ops/main.ts` does, from the workspace.
   */
  spawned?: boolean;
  /** What the docs say it prints, in substance. */
  expect: RegExp[];
}

/** Run here, in this order, against `npm start` in a workspace of their own. */
const EXECUTED: Executed[] = [
  {
    forms: [
      'npm run check -- path/to/selfie.jpg --device IOS --reference my-ref',
      'npm run check -- <image> [--device IOS] [--reference X]',
      'npm run check',
    ],
    run: () => 'npm run check -- path/to/selfie.jpg --device IOS --reference my-ref',
    expect: [
      /^uploaded {2}\d+ bytes$/m,
      /"status": "PASSED"/,
      /^event$/m,
      /"detail-type": ?"Liveness Check Passed"/,
    ],
  },
  {
    forms: ['npm run ops -- status', 'npm run ops -- <command>'],
    run: () => 'npm run ops -- status',
    spawned: true,
    expect: [/^ops: .*local pipeline/m, /^status of local pipeline/m, /selfie queue\s+\d+/, /PASSED\s+1\b/],
  },
  {
    forms: ['npm run ops'],
    run: () => 'npm run ops',
    spawned: true,
    expect: [/npm run ops -- <command> \[options\]: operate a deployed pipeline or npm start/],
  },
  {
    forms: ['npm run ops -- check <checkId>'],
    run: (ctx) => `npm run ops -- check ${ctx.checkId}`,
    expect: [/^check \S+: PASSED/m, /event: Liveness Check Passed, eventId/],
  },
  {
    forms: ['npm run ops -- dlq show selfie'],
    run: () => 'npm run ops -- dlq show selfie',
    expect: [/selfie/i],
  },
  {
    forms: ['npm run ops -- dlq show notifier'],
    run: () => 'npm run ops -- dlq show notifier',
    expect: [/notifier/i],
  },
  {
    forms: ['npm run ops -- dlq redrive selfie'],
    run: () => 'npm run ops -- dlq redrive selfie',
    expect: [/selfie/i],
  },
  {
    forms: ['npm run ops -- dlq redrive notifier'],
    run: () => 'npm run ops -- dlq redrive notifier',
    expect: [/notifier/i],
  },
  {
    forms: ['npm run ops -- dlq purge selfie --yes'],
    run: () => 'npm run ops -- dlq purge selfie --yes',
    expect: [/selfie/i],
  },
  {
    forms: ['npm run ops -- republish --since 1h --status FAILED', 'npm run ops -- republish'],
    run: () => 'npm run ops -- republish --since 1h --status FAILED',
    expect: [/final checks decided from \S+ to \S+ \(FAILED\)/],
  },
  {
    forms: ['npm run ops -- republish --since <first arrival - 1m> --until <last arrival + 1m>'],
    run: () =>
      `npm run ops -- republish --since ${new Date(Date.now() - 600_000).toISOString()} --until ${new Date(Date.now() + 60_000).toISOString()}`,
    expect: [/final checks decided from \S+ to \S+ \(PASSED, REJECTED, FAILED, EXPIRED\)/],
  },
  {
    // docs/apps.md: VENDOR_URL is the vendor URL of .local/resources.json; the check below shows its effect.
    forms: [
      `curl -X POST $VENDOR_URL/__control/script -d '{"answers":[{"type":"rejection","code":704,"endpoint":"liveness"}]}'`,
    ],
    env: (ctx) => ({ VENDOR_URL: ctx.resources.vendorUrl }),
    run: () =>
      `curl -X POST $VENDOR_URL/__control/script -d '{"answers":[{"type":"rejection","code":704,"endpoint":"liveness"}]}'`,
    expect: [/.+/],
  },
];

/** docs/api.md's upload: `...` stands for the form's other fields, filled in here. */
const CURL_UPLOAD =
  'curl -sf -X POST "$URL" -F "key=$KEY" -F "Content-Type=image/jpeg" -F "Policy=$POLICY" ... -F "file=@selfie.jpg;type=image/jpeg"';

/** Run by another test or by CI: the file named runs it (it must say so: `contains`), and why not here. */
const COVERED_ELSEWHERE: { forms: string[]; by: string; contains: string[]; reason: string }[] = [
  {
    forms: ['npm test'],
    by: '.ci/run',
    contains: ['npm test'],
    reason: 'the whole suite, this test included: CI runs it',
  },
  { forms: ['npm ci'], by: '.ci/run', contains: ['npm ci'], reason: 'CI installs with it on a clean clone' },
  { forms: ['npm run typecheck'], by: '.ci/run', contains: ['npm run typecheck'], reason: 'CI runs it' },
  { forms: ['npm run lint'], by: '.ci/run', contains: ['npm run lint'], reason: 'CI runs it' },
  {
    forms: ['npm run node24'],
    by: '.ci/run',
    contains: ['npm run node24'],
    reason: 'a registry download of 189 MB on first use: CI runs it before npm test',
  },
  {
    forms: ['npx cdk synth', 'npx cdk synth -q', 'cdk synth'],
    by: 'test/infra/cdk-synth.test.ts',
    contains: ["'cdk', 'synth', '-q'"],
    reason: 'about 15 s of bundling and synthesis, which that test does once (with cfn-lint on the output)',
  },
  {
    forms: ['npm run build', 'npm pack'],
    by: 'test/package/packed.ts',
    contains: ["'pack'"],
    reason:
      'npm pack runs prepack (npm run build); the package tests pack through it, install the tarball and synthesize it',
  },
  {
    forms: ['cdk init', 'cdk init app --language typescript'],
    by: 'test/package/commonjs-consumer.test.ts',
    contains: ["'init',"],
    reason:
      'it makes an app the way cdk init does (--generate-only, offline), installs the packed package and runs its Jest test',
  },
  {
    forms: ['npm run ops -- rotate-credentials --password-stdin'],
    by: 'test/tools/ops/ops.moto.test.ts',
    contains: ["'rotate-credentials', '--password-stdin'"],
    reason:
      "npm start's refresher logs in at start, and its write guard (600 s) would hold a rotation that long; that test runs it with a 4 s guard",
  },
  {
    forms: ['npm run ops -- rotate-credentials --keep-password'],
    by: 'test/tools/ops/ops.moto.test.ts',
    contains: ["'rotate-credentials', '--keep-password'"],
    reason: 'as --password-stdin: the write guard',
  },
];

/** Not run by any test: minutes of CPU. The options they show are checked to exist in the tool. */
const LONG_RUNNING: { forms: string[]; reason: string; tool: string; contains: string[] }[] = [
  {
    forms: ['npm run bench'],
    reason: 'the benchmarks take about half an hour on two cores',
    tool: 'bench/run.ts',
    contains: ['quick:'],
  },
  {
    forms: ['npm run bench -- --quick'],
    reason: 'about a minute of every core',
    tool: 'bench/run.ts',
    contains: ['quick:'],
  },
  {
    forms: ['npm run bench -- --only=checkerThroughput'],
    reason: 'a minute of throughput runs',
    tool: 'bench/run.ts',
    contains: ['only:', "'checkerThroughput'"],
  },
  {
    forms: ['npm run bench -- --reference=<commit>'],
    reason: 'the whole bench, plus a build of that commit',
    tool: 'bench/run.ts',
    contains: ['reference:'],
  },
  {
    forms: ['npm run mutate', 'npm run mutate [-- module ...]'],
    reason: 'mutation testing takes about 25 minutes',
    tool: 'tools/mutate/modules.ts',
    contains: ['checker'],
  },
  {
    forms: ['npm run mutate -- checker notifier'],
    reason: 'about 12 minutes of mutation testing',
    tool: 'tools/mutate/modules.ts',
    contains: ["'checker'", "'notifier'"],
  },
  {
    forms: ['npm run soak -- --runs 20'],
    reason: 'the two slowest suites twenty times in a row: it is left to a machine to itself',
    tool: 'tools/soak.ts',
    contains: ['--runs'],
  },
  {
    forms: ['npx vitest run test/e2e/aws-faults.e2e.test.ts'],
    reason: 'a bad-day suite alone, as a person runs it: npm test runs it in its bad-day project',
    tool: 'vitest.config.ts',
    contains: ["'test/e2e/aws-faults.e2e.test.ts'"],
  },
  {
    forms: ['npx vitest run test/docs/figures.test.ts'],
    reason: 'the example of running one file: npm test runs it',
    tool: 'test/docs/figures.test.ts',
    contains: ['bench/results.json'],
  },
  {
    forms: ['npm run mutate -- --concurrency=1'],
    reason: 'mutation testing takes about 25 minutes',
    tool: 'tools/mutate/run.ts',
    contains: ["'--concurrency='"],
  },
];

/** Commands that need an AWS account (a deployed stack, or CloudFormation itself), by pattern. */
const NEEDS_AWS: Record<string, { pattern: RegExp; reason: string }> = {
  'cdk deploy': {
    pattern: /^(npx )?cdk deploy\b/,
    reason: 'deploys to an account (the synth it starts from is tested)',
  },
  'cdk bootstrap': { pattern: /^npx cdk bootstrap\b/, reason: "creates CDK's bootstrap stack in an account" },
  'cdk diff': { pattern: /^(npx )?cdk diff\b/, reason: 'compares with the deployed stack' },
  'cdk destroy': { pattern: /^npx cdk destroy$/, reason: 'deletes a deployed stack' },
  'aws cloudformation describe-stacks': {
    pattern: /^aws cloudformation describe-stacks /,
    reason: "reads a deployed stack's outputs",
  },
  'aws secretsmanager put-secret-value': {
    pattern: /^aws secretsmanager put-secret-value --secret-id <CredentialsSecretArn> /,
    reason:
      "writes the deployed credentials secret (locally, npm start's simulator credentials are set for you)",
  },
  'aws lambda invoke': {
    pattern: /^aws lambda invoke --function-name <TokenRefresherFunctionName> /,
    reason:
      'invokes the deployed token-refresher (moto runs no Lambda functions; ops rotate-credentials is tested)',
  },
  'cat out.json': { pattern: /^cat out\.json$/, reason: 'the answer of the aws lambda invoke before it' },
  'aws sns subscribe': {
    pattern: /^aws sns subscribe /,
    reason: "subscribes to a deployed stack's alarm topic",
  },
  'aws sqs receive-message': {
    pattern: /^aws sqs receive-message --queue-url <EventTapQueueUrl>/,
    reason: "reads a deployed stack's event tap",
  },
  'aws events put-rule / put-targets': {
    pattern: /^aws events put-(rule|targets) --event-bus-name <EventBusArn> /,
    reason: 'adds a rule to a deployed bus',
  },
  'aws s3api bucket notification': {
    pattern: /^aws s3api (get|put)-bucket-notification-configuration\b/,
    reason: "reads or writes a brought bucket's notifications in an account",
  },
  'aws dynamodb get-item': { pattern: /^aws dynamodb get-item$/, reason: 'reads a deployed table' },
};

/** Commands that fetch from or publish to a registry or a remote: the network, and an account for publish. */
const NEEDS_NETWORK: Record<string, { pattern: RegExp; reason: string }> = {
  'npm i selfie-liveness-pipeline': {
    pattern: /^npm i selfie-liveness-pipeline(@<version>)?$/,
    reason:
      'installs from the registry; test/package/consumer.test.ts installs the packed tarball offline instead',
  },
  'npm publish': {
    pattern: /^npm publish$/,
    reason: "publishes to the registry with the maintainers' account",
  },
  'pip install': {
    pattern: /^pip install /,
    reason: 'installs a prerequisite from PyPI; the tests need it installed already',
  },
  'git pull': { pattern: /^git pull$/, reason: 'fetches from the remote of a clone' },
};

const FOUND = DOCS.flatMap((file) => extractCommands(file, readFileSync(join(ROOT, file), 'utf8')));

const RUN_HERE = new Set([
  ...EXECUTED.flatMap((e) => e.forms),
  CURL_UPLOAD,
  'npm start',
  'npm run demo',
  'npm run simulator',
]);
const ELSEWHERE = new Set([...COVERED_ELSEWHERE, ...LONG_RUNNING].flatMap((e) => e.forms));
const PATTERNS = Object.values({ ...NEEDS_AWS, ...NEEDS_NETWORK }).map((e) => e.pattern);
const accountedFor = ({ command }: DocCommand) =>
  RUN_HERE.has(command) || ELSEWHERE.has(command) || PATTERNS.some((p) => p.test(command));

describe('the commands the docs show', () => {
  it('finds the commands of the fenced blocks and the README command table', () => {
    const readme = FOUND.filter((c) => c.file === 'README.md').map((c) => c.command);
    expect(readme).toEqual(expect.arrayContaining(['npm ci', 'npm run demo', 'npm test', 'npx cdk synth']));
    expect(FOUND).toContainEqual(
      expect.objectContaining({ file: 'docs/deploy.md', command: 'npx cdk synth -q' }),
    );
    expect(FOUND).toContainEqual(expect.objectContaining({ file: 'docs/api.md', command: CURL_UPLOAD }));
    expect(
      extractCommands('x.md', '```sh\nnpm a \\\n  --b # why\nnpx c && npm d\n```\n`npm e` `ls`'),
    ).toEqual([
      { file: 'x.md', line: 2, command: 'npm a --b' },
      { file: 'x.md', line: 4, command: 'npx c' },
      { file: 'x.md', line: 4, command: 'npm d' },
      { file: 'x.md', line: 6, command: 'npm e' },
    ]);
  });

  it('runs each, names the test that runs it, or says why it needs AWS or the network', () => {
    const unaccounted = FOUND.filter((c) => !accountedFor(c)).map((c) => `${c.file}:${c.line}: ${c.command}`);
    expect(unaccounted, 'add each to a list of test/docs/commands.test.ts, or fix the docs').toEqual([]);
  });

  it('lists no command the docs no longer show', () => {
    const shown = new Set(FOUND.map((c) => c.command));
    const stale = [...RUN_HERE, ...ELSEWHERE].filter((form) => !shown.has(form));
    const unusedPatterns = Object.entries({ ...NEEDS_AWS, ...NEEDS_NETWORK })
      .filter(([, { pattern }]) => !FOUND.some((c) => pattern.test(c.command)))
      .map(([name]) => name);
    expect([...stale, ...unusedPatterns]).toEqual([]);
  });

  it.each(COVERED_ELSEWHERE)('$forms.0 is run by $by', ({ by, contains }) => {
    const text = readFileSync(join(ROOT, by), 'utf8');
    for (const piece of contains) expect(text).toContain(piece);
  });

  it.each(LONG_RUNNING)(
    '$forms.0 is left to a person ($reason); $tool has what it shows',
    ({ tool, contains }) => {
      const text = readFileSync(join(ROOT, tool), 'utf8');
      for (const piece of contains) expect(text).toContain(piece);
    },
  );
});

/** The child's output, its exit code, and its signal. */
interface Outcome {
  code: number | null;
  signal?: NodeJS.Signals | null;
  out: string;
}

const children: ChildProcess[] = [];
let workspace: string;
let env: NodeJS.ProcessEnv;

function start(
  command: string,
  extraEnv: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string; done: Promise<Outcome> } {
  // Its own process group, so the signal reaches node under npm and sh.
  const child = spawn('sh', ['-c', `exec ${command}`], {
    cwd: workspace,
    env: { ...env, ...extraEnv },
    detached: true,
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const done = new Promise<Outcome>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })),
  );
  return { child, output: () => out, done };
}

async function sh(command: string, stdin?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const run = start(command, extraEnv);
  run.child.stdin?.end(stdin ?? '');
  return run.done;
}

async function waitFor(output: () => string, text: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!output().includes(text)) {
    if (Date.now() > until) throw new Error(`"${text}" not printed within ${ms} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function opsInProcess(argv: string[], stdin = ''): Promise<Outcome> {
  const lines: string[] = [];
  const code = await runOps(argv, {
    write: (line) => lines.push(line),
    env,
    clock: systemClock,
    readStdin: async () => stdin,
    cwd: workspace,
  });
  return { code, out: lines.join('\n') };
}

const stopGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has ended since.
  }
};

describe('the commands the docs show, run as written against npm start', () => {
  let pipeline: ReturnType<typeof start>;
  let demo: ReturnType<typeof start>;
  const ctx = {} as RunContext;

  beforeAll(async () => {
    // A package root of its own, so `.local/` is this test's and a person's `npm start` is left alone.
    workspace = mkdtempSync(join(tmpdir(), 'docs-commands-'));
    for (const entry of readdirSync(ROOT))
      if (!['.local', '.git', 'cdk.out', 'reports', 'dist'].includes(entry))
        symlinkSync(join(ROOT, entry), join(workspace, entry));
    mkdirSync(join(workspace, 'path/to'), { recursive: true });
    writeFileSync(join(workspace, 'path/to/selfie.jpg'), makeJpeg({ width: 300, height: 300, seed: 1 }));
    writeFileSync(join(workspace, 'selfie.jpg'), makeJpeg({ width: 300, height: 300, seed: 2 }));
    env = { ...process.env, PORT: '0', LOCAL_RETRY_DELAY_SECONDS: '1' };
    for (const name of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_PROFILE', 'LIVENESS_API_URL', 'INIT_CWD'])
      delete env[name];
    ctx.workspace = workspace;
    demo = start('npm run demo');
    pipeline = start('npm start');
    await waitFor(pipeline.output, 'stop: Ctrl-C', 60_000);
    ctx.resources = JSON.parse(readFileSync(join(workspace, '.local/resources.json'), 'utf8'));
  }, 90_000);

  afterAll(async () => {
    for (const child of children) stopGroup(child, 'SIGKILL');
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('npm start prints its banner with what to run next', () => {
    expect(pipeline.output()).toContain('local pipeline running');
    expect(pipeline.output()).toMatch(
      /try: npm run check -- <image> \[--device IOS\] \[--reference X\] +operate: npm run ops -- status/,
    );
    expect(existsSync(join(workspace, '.local/resources.json'))).toBe(true);
  });

  it.each(EXECUTED.map((e) => [e.forms[0], e] as const))(
    '%s exits 0 and prints what the docs say',
    async (_form, entry) => {
      const command = entry.run(ctx);
      const ops = /^npm run ops -- (.+)$/.exec(command);
      const { code, out } =
        ops?.[1] && !entry.spawned
          ? await opsInProcess(ops[1].split(' '), entry.stdin)
          : await sh(command, entry.stdin, entry.env?.(ctx));
      expect(code, out).toBe(0);
      for (const pattern of entry.expect) expect(out).toMatch(pattern);
      const checkId = /"checkId": "([0-9a-f-]{36})"/.exec(out)?.[1];
      if (checkId && !ctx.checkId) ctx.checkId = checkId;
    },
    30_000,
  );

  it("docs/api.md's curl upload is accepted, and the simulator gives the answer docs/apps.md scripted", async () => {
    const client = createLivenessClient({
      baseUrl: ctx.resources.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
    });
    const { checkId, upload } = await client.createCheck({ contentType: 'image/jpeg' });
    const { key, Policy, ...fields } = upload.fields;
    const rest = Object.entries(fields)
      .filter(([name]) => name !== 'Content-Type')
      .map(([name, value]) => `-F "${name}=${value}"`)
      .join(' ');
    const { code, out } = await sh(CURL_UPLOAD.replace(' ... ', ` ${rest} `), undefined, {
      URL: upload.url,
      KEY: key,
      POLICY: Policy,
    });
    expect(code, out).toBe(0);
    const check = await client.waitForVerdict(checkId);
    expect(check).toMatchObject({
      status: 'REJECTED',
      rejection: { code: 704, reason: 'FACE_NOT_DETECTED' },
    });
  }, 30_000);

  it('npm start stops on Ctrl-C', async () => {
    stopGroup(pipeline.child, 'SIGINT');
    const { code, signal, out } = await pipeline.done;
    // npm ends by the signal it got, as a shell expects of Ctrl-C; the tool under it stopped cleanly.
    expect(code === 0 || signal === 'SIGINT', out).toBe(true);
    expect(out).toContain('stopping...');
  }, 30_000);

  it('npm run simulator prints its URL and credentials, and stops on Ctrl-C', async () => {
    const simulator = start('npm run simulator');
    await waitFor(simulator.output, 'password:', 20_000);
    expect(simulator.output()).toMatch(/Apptenticate simulator listening on http:\/\/127\.0\.0\.1:\d+/);
    stopGroup(simulator.child, 'SIGINT');
    const { code, signal, out } = await simulator.done;
    // npm ends by the signal it got, as a shell expects of Ctrl-C; the tool under it stopped cleanly.
    expect(code === 0 || signal === 'SIGINT', out).toBe(true);
    expect(out).toContain('received SIGINT, stopping');
  }, 30_000);

  it('npm run demo plays every outcome and exits 0', async () => {
    const { code, out } = await demo.done;
    expect(code, out).toBe(0);
    expect(out).toMatch(/^a live selfie +PASSED +transaction \d+ +1 +Liveness Check Passed +ok/m);
    expect(out).toMatch(/^vendor calls: 5 liveness, 1 login, 0 refresh$/m);
    expect(out).toContain('demo finished: every outcome as expected');
  }, 60_000);
});

/** The TypeScript snippets of docs/apps.md and docs/events.md, with what each leaves to the reader. */
const SNIPPETS: Record<string, { count: number; prelude: string }> = {
  'docs/apps.md': {
    count: 2,
    prelude: `declare function fetchAuthSession(): Promise<{ tokens?: { idToken?: { toString(): string } } }>;
declare const jpegBlob: Blob;
declare const limits: NonNullable<Parameters<import('selfie-liveness-pipeline/client').LivenessClient['checkSelfie']>[1]>['limits'];
declare function showProgress(share: number): void;
declare function showStage(stage: string): void;
`,
  },
  'docs/events.md': { count: 2, prelude: '' },
};

describe('the TypeScript snippets of docs/apps.md and docs/events.md', () => {
  it('compile against the repository (the package entries mapped to their sources)', () => {
    // TypeScript 7 has no compiler API in JavaScript: tsc checks the snippets in a folder of their own.
    const dir = mkdtempSync(join(ROOT, 'test/docs/.snippets-'));
    try {
      for (const [doc, { count, prelude }] of Object.entries(SNIPPETS)) {
        const blocks = [...readFileSync(join(ROOT, doc), 'utf8').matchAll(/```ts\n([\s\S]*?)\n```/g)].map(
          (m) => m[1] ?? '',
        );
        expect(blocks, `${doc}: a new snippet needs its prelude here`).toHaveLength(count);
        blocks.forEach((code, i) => {
          const body = `${prelude}${code}\nexport {};\n`
            .replaceAll("'selfie-liveness-pipeline/events'", `'${ROOT}shared/events/index.js'`)
            .replaceAll("'selfie-liveness-pipeline/client'", `'${ROOT}client/index.js'`);
          writeFileSync(join(dir, `${doc.replace(/\W/g, '-')}-${i + 1}.ts`), body);
        });
      }
      // The SigV4 snippet's hash is the app's own dependency, not this repository's.
      writeFileSync(
        join(dir, 'ambient.d.ts'),
        "declare module '@aws-crypto/sha256-js' { export const Sha256: import('@smithy/types').HashConstructor; }\n",
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: '../../../tsconfig.json',
          // A snippet names what it shows, used or not; it runs where the DOM is (fetch, Blob).
          compilerOptions: { noUnusedLocals: false, noUnusedParameters: false, lib: ['ES2023', 'DOM'] },
          include: ['*.ts'],
        }),
      );
      const { status, stdout } = spawnSync('npx', ['tsc', '-p', dir], { cwd: ROOT, encoding: 'utf8' });
      expect(stdout).toBe('');
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
