/**
 * Token efficiency: vendor auth calls (login, refresh) and Secrets Manager reads per 1,000 checks,
 * in one warm container and spread over 10 containers, over 15 minutes of simulated clock.
 *
 * The containers are the checker's real token path (`TokenSecretStore` with Powertools'
 * cache, `AccessTokenProvider`, `AuthorizedLivenessChecker`, `ApptenticateClient`) against the
 * simulator over HTTP. `Date.now` is replaced by the simulated clock while this runs, so the
 * Powertools cache, the provider and the simulator's token expiry all follow it.
 */
import { DEFAULT_SETTINGS } from '../infra/settings.js';
import { AccessTokenProvider } from '../shared/apptenticate/access-token-provider.js';
import { AuthorizedLivenessChecker } from '../shared/apptenticate/authorized-liveness.js';
import { ApptenticateClient } from '../shared/apptenticate/client.js';
import { decodeJwtExp } from '../shared/apptenticate/jwt.js';
import { serializeTokenSecret, TokenSecretStore } from '../shared/apptenticate/token-secret.js';
import { createLogger } from '../shared/observability.js';
import { makePng } from '../tools/simulator/images.js';
import { startSimulator } from '../tools/simulator/server.js';
import { FakeAws } from './lib/fake-aws.js';
import { printTable, round } from './lib/stats.js';

export interface TokenRow {
  containers: number;
  checks: number;
  simulatedMinutes: number;
  vendorLogins: number;
  vendorRefreshes: number;
  vendorAuthCallsPer1000: number;
  secretsManagerReadsPer1000: number;
  livenessCalls: number;
  failedChecks: number;
}

export interface TokenResult {
  accessTtlSeconds: number;
  secretCacheSeconds: number;
  rows: TokenRow[];
}

const CHECKS = 1000;
const MINUTES = 15;
const BATCH = DEFAULT_SETTINGS.checker.batchSize;
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-token';
// The checker's default TOKEN_CACHE_SECONDS (functions/checker/config.ts).
const SECRET_CACHE_SECONDS = 300;

async function scenario(containers: number): Promise<TokenRow> {
  const realNow = Date.now;
  let simulated = realNow.call(Date);
  Date.now = () => simulated;
  const simulator = await startSimulator({ now: () => simulated });
  try {
    const fake = new FakeAws();
    const { secretsManager } = fake.clients();
    const logger = createLogger('bench', 'ERROR');
    // What the token-refresher stores: the refresh token and the access token minted with it.
    const setup = new ApptenticateClient({ baseUrl: simulator.baseUrl });
    const login = await setup.login(simulator.username, simulator.password);
    await setup.close();
    if (login.kind !== 'ok') throw new Error('simulator login failed');
    fake.secretString = serializeTokenSecret({
      refresh: login.refresh,
      refreshExpiresAt: decodeJwtExp(login.refresh) ?? 0,
      access: login.access,
      accessExpiresAt: decodeJwtExp(login.access) ?? 0,
      updatedAt: new Date(simulated).toISOString(),
    });
    simulator.control.reset();

    const fleet = Array.from({ length: containers }, () => {
      const client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
      const source = new TokenSecretStore({
        secretId: SECRET_ID,
        client: secretsManager,
        maxAgeSeconds: SECRET_CACHE_SECONDS,
      });
      const tokens = new AccessTokenProvider({ source, client, now: () => simulated, logger });
      return { client, checker: new AuthorizedLivenessChecker({ client, tokens, logger }) };
    });
    const selfie = makePng({ width: 128, height: 128, seed: 1 });
    const batches = CHECKS / BATCH;
    const step = (MINUTES * 60_000) / batches;
    let failed = 0;
    const start = simulated;
    for (let b = 0; b < batches; b++) {
      simulated = start + b * step;
      // Each batch lands on one container, round robin, its checks at once (as batchConcurrency allows).
      const container = fleet[b % containers] as (typeof fleet)[number];
      const outcomes = await Promise.all(
        Array.from({ length: BATCH }, () =>
          container.checker.checkLiveness({ selfie, contentType: 'image/png', fileName: 'bench.png' }),
        ),
      );
      failed += outcomes.filter((o) => o.kind !== 'passed').length;
    }
    await Promise.all(fleet.map((c) => c.client.close()));
    const counts = simulator.control.state().counts;
    const reads = fake.counts.GetSecretValue ?? 0;
    const per1000 = 1000 / CHECKS;
    return {
      containers,
      checks: CHECKS,
      simulatedMinutes: MINUTES,
      vendorLogins: counts.login,
      vendorRefreshes: counts.refresh,
      vendorAuthCallsPer1000: round((counts.login + counts.refresh) * per1000, 1),
      secretsManagerReadsPer1000: round(reads * per1000, 1),
      livenessCalls: counts.liveness,
      failedChecks: failed,
    };
  } finally {
    Date.now = realNow;
    await simulator.stop();
  }
}

export async function benchTokens(): Promise<TokenResult> {
  const rows = [await scenario(1), await scenario(10)];
  printTable(
    `Token efficiency: ${CHECKS} checks over ${MINUTES} simulated minutes (access token 300 s, secret cache ${SECRET_CACHE_SECONDS} s)`,
    rows.map((r) => ({
      containers: r.containers,
      'vendor logins': r.vendorLogins,
      'vendor refreshes': r.vendorRefreshes,
      'auth calls / 1000': r.vendorAuthCallsPer1000,
      'Secrets Manager reads / 1000': r.secretsManagerReadsPer1000,
      'liveness calls': r.livenessCalls,
      failed: r.failedChecks,
    })),
  );
  return { accessTtlSeconds: 300, secretCacheSeconds: SECRET_CACHE_SECONDS, rows };
}
