import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/checker/config.js';
import { buildDeps } from '../../../functions/checker/wiring.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { serializeTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { makePng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

const secrets = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);

describe('buildDeps', () => {
  let simulator: Simulator;
  let refresh: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    const login = await new ApptenticateClient({ baseUrl: simulator.baseUrl }).login(
      simulator.username,
      simulator.password,
    );
    if (login.kind !== 'ok') throw new Error('the simulator refused its own credentials');
    refresh = login.refresh;
  });
  afterAll(async () => {
    await simulator?.stop();
  });
  beforeEach(() => {
    secrets.reset();
    lambda.reset();
    simulator.control.reset();
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: serializeTokenSecret({
        refresh,
        refreshExpiresAt: Math.floor(Date.now() / 1000) + 86_400,
        updatedAt: new Date().toISOString(),
      }),
    });
  });

  const deps = (env: Record<string, string> = {}) =>
    buildDeps(
      readConfig({
        TABLE_NAME: 'checks',
        TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:tokens',
        SELFIE_BUCKET: 'selfie-bucket',
        LIVENESS_API_URL: simulator.baseUrl,
        ...env,
      }),
      {
        secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
        lambda: new LambdaClient({ region: 'us-east-1' }),
      },
    );
  const request = {
    selfie: makePng({ width: 200, height: 200 }),
    contentType: 'image/png',
    fileName: 'x.png',
  };

  it('mints an access token from the token secret and passes a selfie', async () => {
    const { liveness, logger } = deps();
    logger.setLogLevel('SILENT');
    expect(await liveness.checkLiveness(request)).toMatchObject({ kind: 'passed' });
    expect(simulator.control.state().counts).toMatchObject({ login: 0, refresh: 1, liveness: 1 });
  });

  it('asks the token-refresher to run, asynchronously, when every refresh token is refused', async () => {
    simulator.control.revokeRefreshTokens();
    const { liveness, logger } = deps({ TOKEN_REFRESHER_FUNCTION_NAME: 'token-refresher' });
    logger.setLogLevel('SILENT');
    expect(await liveness.checkLiveness(request)).toMatchObject({ kind: 'auth-refused' });
    expect(lambda).toReceiveCommandTimes(InvokeCommand, 1);
    expect(lambda).toReceiveCommandWith(InvokeCommand, {
      FunctionName: 'token-refresher',
      InvocationType: 'Event',
    });
    const payload = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload;
    expect(JSON.parse(Buffer.from(payload as Uint8Array).toString())).toMatchObject({ force: true });
    expect(simulator.control.state().counts.liveness).toBe(0);
  });

  it('only logs a refused refresh token when no token-refresher is configured', async () => {
    simulator.control.revokeRefreshTokens();
    const { liveness, logger } = deps();
    logger.setLogLevel('SILENT');
    expect(await liveness.checkLiveness(request)).toMatchObject({ kind: 'auth-refused' });
    expect(lambda).not.toReceiveCommand(InvokeCommand);
  });

  it('starts no liveness call with less than one whole vendor call (connect + response) left', async () => {
    // A refresh token of its own: an earlier test revokes the shared one.
    const login = await new ApptenticateClient({ baseUrl: simulator.baseUrl }).login(
      simulator.username,
      simulator.password,
    );
    if (login.kind !== 'ok') throw new Error('the simulator refused its own credentials');
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: serializeTokenSecret({
        refresh: login.refresh,
        refreshExpiresAt: Math.floor(Date.now() / 1000) + 86_400,
        updatedAt: new Date().toISOString(),
      }),
    });
    simulator.control.reset();
    const config = { VENDOR_CONNECT_TIMEOUT_MS: '500', VENDOR_RESPONSE_TIMEOUT_MS: '1500' };
    const { liveness, logger } = deps(config);
    logger.setLogLevel('SILENT');
    const left = (ms: number) => ({ signal: new AbortController().signal, remainingMs: () => ms });

    await expect(liveness.checkLiveness(request, { deadline: left(1_999) })).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'TIMEOUT',
    });
    expect(simulator.control.state().counts.liveness).toBe(0);
    await expect(liveness.checkLiveness(request, { deadline: left(2_000) })).resolves.toMatchObject({
      kind: 'passed',
    });
  });
});

describe('buildDeps AWS clients', () => {
  let server: Server;
  const saved = { ...process.env };

  beforeAll(async () => {
    // Accepts connections and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
    });
  });
  afterAll(async () => {
    process.env = saved;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives the S3 and DynamoDB clients it creates a request timeout, so a hung call fails', async () => {
    const built = buildDeps(
      readConfig({ TABLE_NAME: 'checks', TOKEN_SECRET_ARN: 'arn:secret', SELFIE_BUCKET: 'b' }),
    );

    const [read, get] = await Promise.allSettled([
      built.s3.send(new GetObjectCommand({ Bucket: 'selfies', Key: 'selfies/x' })),
      built.repository.release({ checkId: 'x', leaseId: 'lease', now: new Date() }),
    ]);

    expect(read).toMatchObject({ status: 'rejected', reason: { name: 'TimeoutError' } });
    expect(get).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/TimeoutError/) },
    });
  });
  it('reads a selfie without asking S3 for its checksum (TLS protects it; a CRC64NVME in JavaScript costs more than the read)', async () => {
    const built = buildDeps(
      readConfig({ TABLE_NAME: 'checks', TOKEN_SECRET_ARN: 'arn:secret', SELFIE_BUCKET: 'b' }),
    );
    let sent: Record<string, string> | undefined;
    built.s3.middlewareStack.add(
      () => async (args) => {
        sent = (args.request as { headers: Record<string, string> }).headers;
        throw new Error('request captured');
      },
      { step: 'build', priority: 'low' },
    );

    await expect(
      built.s3.send(new GetObjectCommand({ Bucket: 'selfies', Key: 'selfies/x' })),
    ).rejects.toThrow('request captured');

    expect(sent).toBeDefined();
    expect(sent?.['x-amz-checksum-mode']).toBeUndefined();
  });
});
