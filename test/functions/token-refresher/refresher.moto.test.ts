import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RefresherDeps, refreshTokenSecret } from '../../../functions/token-refresher/refresher.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { parseTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';
import { testClock } from '../../support/clock.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

describe('token-refresher on moto', () => {
  let moto: Moto;
  let secrets: SecretsManagerClient;
  let simulator: Simulator;
  let client: ApptenticateClient;
  let credentialsArn: string;
  let tokenArn: string;
  let run = 0;
  const clock = Date.UTC(2026, 10, 30, 5, 30, 0);

  beforeAll(async () => {
    moto = await startMoto();
    secrets = new SecretsManagerClient(awsClientConfig(moto.endpoint));
    simulator = await startSimulator();
    client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
  });
  afterAll(async () => {
    await client.close();
    await simulator.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    run += 1;
    simulator.control.reset();
    const credentials = await secrets.send(
      new CreateSecretCommand({
        Name: `apptenticate-credentials-${run}`,
        SecretString: JSON.stringify({ username: simulator.username, password: simulator.password }),
      }),
    );
    // As the stack creates it: a placeholder value until the refresher first writes.
    const token = await secrets.send(
      new CreateSecretCommand({ Name: `apptenticate-token-${run}`, SecretString: '{}' }),
    );
    credentialsArn = credentials.ARN ?? '';
    tokenArn = token.ARN ?? '';
  });

  function deps(): RefresherDeps {
    return {
      config: {
        credentialsSecretArn: credentialsArn,
        tokenSecretArn: tokenArn,
        minWriteIntervalSeconds: 600,
        refreshMarginSeconds: 46_800,
      },
      secrets,
      client,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { addMetric: () => undefined },
      clock: testClock(() => new Date(clock)),
    };
  }

  const versions = async () =>
    (await secrets.send(new ListSecretVersionIdsCommand({ SecretId: tokenArn }))).Versions ?? [];

  it('writes the token secret once when two forced runs overlap', async () => {
    // Both runs read the placeholder before either writes: the login takes 300 ms.
    simulator.control.configure({ latencyMs: 300 });

    const results = await Promise.all([
      refreshTokenSecret(deps(), { force: true }),
      refreshTokenSecret(deps(), { force: true }),
    ]);

    expect(simulator.control.state().counts.login).toBe(2);
    expect(results.filter((result) => result.refreshed)).toHaveLength(1);
    expect(results.find((result) => !result.refreshed)).toMatchObject({
      refreshed: false,
      reason: 'WRITTEN_BY_ANOTHER_RUN',
    });
    // The placeholder and one written value.
    expect(await versions()).toHaveLength(2);
    const current = await secrets.send(new GetSecretValueCommand({ SecretId: tokenArn }));
    const secret = parseTokenSecret(current.SecretString);
    expect(secret).toBeDefined();
    await expect(client.refresh(secret?.refresh ?? '')).resolves.toMatchObject({ kind: 'ok' });
  });

  it('writes again on a later run that read the value the first one wrote', async () => {
    await expect(refreshTokenSecret(deps(), { force: true })).resolves.toMatchObject({ refreshed: true });
    const later = { ...deps(), clock: testClock(() => new Date(clock + 11 * 60_000)) };

    await expect(refreshTokenSecret(later, { force: true })).resolves.toMatchObject({ refreshed: true });

    expect(await versions()).toHaveLength(3);
  });
});
