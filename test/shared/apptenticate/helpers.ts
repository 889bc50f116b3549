import { Logger } from '@aws-lambda-powertools/logger';
import {
  SecretsManagerClient,
  type SecretsManagerClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-secrets-manager';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import { serializeTokenSecret, type TokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { makePng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

export const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apptenticate-token-AbCdEf';
export const silent = new Logger({ logLevel: 'SILENT' });
export const selfie: LivenessRequest = {
  selfie: makePng({ width: 200, height: 200, seed: 9 }),
  contentType: 'image/png',
  fileName: 'selfie.png',
};

/** What the token path tests share: the simulator, a client, a mocked Secrets Manager and a clock. */
export interface TokenTestbed {
  simulator: Simulator;
  client: ApptenticateClient;
  sm: AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>;
  /** Epoch milliseconds; tests move it. */
  clock: number;
  now: () => number;
  /** Logs in to the simulator and resets its counters. */
  login(): Promise<{ access: string; refresh: string }>;
  /** A token secret holding these tokens, their expiries read from the JWTs. */
  secretOf(tokens: { refresh: string; access?: string }): string;
}

/** Registers the hooks that start, reset and stop the testbed; call once at the top of a test file. */
export function useTokenTestbed(): TokenTestbed {
  // `simulator` and `client` are set in `beforeAll`, before any test reads them.
  const bed = {
    sm: mockClient(SecretsManagerClient),
    clock: 0,
    now: () => bed.clock,
    async login() {
      const outcome = await bed.client.login(bed.simulator.username, bed.simulator.password);
      if (outcome.kind !== 'ok') throw new Error(`simulator login failed: ${outcome.kind}`);
      bed.simulator.control.reset();
      return outcome;
    },
    secretOf(tokens: { refresh: string; access?: string }) {
      const secret: TokenSecret = {
        refresh: tokens.refresh,
        refreshExpiresAt: decodeJwtExp(tokens.refresh) ?? 0,
        updatedAt: new Date(bed.clock).toISOString(),
      };
      if (tokens.access) {
        secret.access = tokens.access;
        secret.accessExpiresAt = decodeJwtExp(tokens.access) ?? 0;
      }
      return serializeTokenSecret(secret);
    },
  } as unknown as TokenTestbed;

  beforeAll(async () => {
    bed.simulator = await startSimulator();
    bed.client = new ApptenticateClient({ baseUrl: bed.simulator.baseUrl });
  });

  afterAll(async () => {
    await bed.client.close();
    await bed.simulator.stop();
  });

  beforeEach(() => {
    bed.sm.reset();
    bed.simulator.control.reset();
    bed.clock = Date.now();
  });
  return bed;
}
