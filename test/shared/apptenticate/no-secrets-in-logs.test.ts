import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { refreshTokenSecret } from '../../../functions/token-refresher/refresher.js';
import { createAuthorizedLivenessChecker } from '../../../shared/apptenticate/authorized-liveness.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { parseTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { systemClock } from '../../../shared/clock.js';
import { makePng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

const CREDENTIALS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:credentials-AbCdEf';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token-GhIjKl';
const PASSWORD = 'pw-Marker-7f3a9c-do-not-log';

let simulator: Simulator;
let client: ApptenticateClient;

beforeAll(async () => {
  simulator = await startSimulator({ password: PASSWORD });
  client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
});

afterAll(async () => {
  await client.close();
  await simulator.stop();
});

/** Captures everything written to stdout and stderr (where Powertools Logger writes) while `work` runs. */
async function captureOutput(work: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  try {
    await work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

describe('logs of the token paths', () => {
  it('contain no password, refresh token or access token at DEBUG level', async () => {
    const sm = mockClient(SecretsManagerClient);
    let stored: string | undefined;
    sm.on(GetSecretValueCommand, { SecretId: CREDENTIALS_ARN }).resolves({
      SecretString: JSON.stringify({ username: simulator.username, password: PASSWORD }),
    });
    sm.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).callsFake(() => ({ SecretString: stored }));
    sm.on(PutSecretValueCommand).callsFake((input: { SecretString?: string }) => {
      stored = input.SecretString;
      return {};
    });
    const minted: string[] = [];
    const recordingClient = {
      checkLiveness: client.checkLiveness.bind(client),
      refresh: async (token: string) => {
        const outcome = await client.refresh(token);
        if (outcome.kind === 'ok') minted.push(outcome.access);
        return outcome;
      },
    };
    const logger = new Logger({ serviceName: 'no-secrets-test', logLevel: 'DEBUG' });
    const secrets = new SecretsManagerClient({ region: 'us-east-1' });
    const selfie = {
      selfie: makePng({ width: 150, height: 150 }),
      contentType: 'image/png',
      fileName: 'selfie.png',
    };
    const refusedRefresh: string[] = [];

    const output = await captureOutput(async () => {
      // Login and write, through the refresher.
      await refreshTokenSecret(
        {
          config: {
            credentialsSecretArn: CREDENTIALS_ARN,
            tokenSecretArn: TOKEN_ARN,
            minWriteIntervalSeconds: 600,
            refreshMarginSeconds: 7200,
          },
          secrets,
          client,
          logger,
          metrics: { addMetric: () => undefined },
          clock: systemClock,
        },
        { force: true, reason: 'test' },
      );
      // A 401 recovery: the stored access token is refused, a refresh runs, the call is retried.
      const checker = createAuthorizedLivenessChecker({
        tokenSecretId: TOKEN_ARN,
        client: recordingClient,
        secretsClient: secrets,
        requestTokenRefresh: async () => {},
        logger,
      });
      simulator.control.expireAccessTokens();
      const recovered = await checker.checkLiveness(selfie);
      expect(recovered.kind).toBe('passed');
      // A refused refresh token: re-read, then the refresher is asked.
      const secret = parseTokenSecret(stored);
      if (secret) refusedRefresh.push(secret.refresh);
      simulator.control.revokeRefreshTokens();
      simulator.control.expireAccessTokens();
      const refused = await checker.checkLiveness(selfie);
      expect(refused.kind).toBe('auth-refused');
    });

    const secret = parseTokenSecret(stored);
    expect(secret).toBeDefined();
    expect(minted.length).toBeGreaterThan(0);
    expect(output.split('\n').filter((line) => line.includes('"level"')).length).toBeGreaterThanOrEqual(4);
    for (const value of [PASSWORD, secret?.refresh, secret?.access, ...minted, ...refusedRefresh]) {
      expect(value).toBeTruthy();
      expect(output).not.toContain(value);
    }
    // No JWT of any kind: every JWT starts with a base64url '{"'.
    expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    sm.restore();
  });
});
