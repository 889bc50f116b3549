import { Logger } from '@aws-lambda-powertools/logger';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessTokenProvider } from '../../../shared/apptenticate/access-token-provider.js';
import { AuthorizedLivenessChecker } from '../../../shared/apptenticate/authorized-liveness.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { lapseOf, renewAt, storedTokenRenewAt } from '../../../shared/apptenticate/token-lifetime.js';
import {
  serializeTokenSecret,
  type TokenSecret,
  type TokenSecretRead,
  type TokenSecretReader,
} from '../../../shared/apptenticate/token-secret.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';
import { selfie } from './helpers.js';

// The renewal arithmetic on its own, then the lifetimes as the provider lives them with the vendor.

/** A JWT carrying these claims (unsigned: only `exp` and `iat` are read). */
function jwt(claims: { exp?: number; iat?: number }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

const POLICY = { skewMs: 30_000, renewFraction: 0.25, fallbackAccessTtlMs: 300_000 };
/** When the token was asked for, epoch ms (1,000,000 s). */
const ASKED = 1_000_000_000;

describe('renewAt', () => {
  it('renews a quarter of a short lifetime before the lapse', () => {
    expect(renewAt(200_000, 40_000, POLICY)).toBe(190_000);
  });

  it('renews at most 30 s before the lapse, however long the lifetime', () => {
    expect(renewAt(200_000, 3_600_000, POLICY)).toBe(170_000);
  });

  it('renews 30 s before the lapse when the lifetime is unknown', () => {
    expect(renewAt(200_000, undefined, POLICY)).toBe(170_000);
  });

  it('renews at the lapse itself for a lifetime that is already over', () => {
    expect(renewAt(200_000, -5_000, POLICY)).toBe(200_000);
  });
});

describe('lapseOf', () => {
  it('counts the lifetime from the ask when the token says when it was issued', () => {
    // The vendor's clock runs 1,000 s ahead: only exp - iat counts.
    const token = jwt({ iat: 2_000_000, exp: 2_000_100 });
    expect(lapseOf(token, ASKED, POLICY)).toEqual([ASKED + 100_000, 100_000]);
  });

  it.each([
    ['no iat', { exp: 1_000_100 }],
    ['an iat no earlier than its exp', { iat: 1_000_100, exp: 1_000_100 }],
  ])("takes the vendor's exp for a token with %s", (_label, claims) => {
    expect(lapseOf(jwt(claims), ASKED, POLICY)).toEqual([1_000_100_000, 100_000]);
  });

  it.each([
    ['no claims', 'opaque-token'],
    ['an iat but no exp', jwt({ iat: 1_000_000 })],
  ])('assumes the fallback lifetime for a token with %s', (_label, token) => {
    expect(lapseOf(token, ASKED, POLICY)).toEqual([ASKED + 300_000, 300_000]);
  });
});

describe('storedTokenRenewAt', () => {
  it('renews a stored token by its own exp, a quarter of its lifetime before', () => {
    const token = jwt({ iat: 1_000_000, exp: 1_000_100 });
    expect(storedTokenRenewAt(token, 5_000_000, POLICY)).toBe(1_000_100_000 - 25_000);
  });

  it("falls back on the secret's accessExpiresAt for a token without exp, 30 s before it", () => {
    expect(storedTokenRenewAt('opaque-token', 1_000_100, POLICY)).toBe(1_000_100_000 - 30_000);
  });

  it('renews 30 s before exp when the lifetime cannot be told', () => {
    expect(storedTokenRenewAt(jwt({ exp: 1_000_100 }), undefined, POLICY)).toBe(1_000_070_000);
    expect(storedTokenRenewAt(jwt({ iat: 1_000_100, exp: 1_000_100 }), undefined, POLICY)).toBe(
      1_000_070_000,
    );
    expect(storedTokenRenewAt(jwt({ iat: 1_000_200, exp: 1_000_100 }), undefined, POLICY)).toBe(
      1_000_070_000,
    );
  });

  it('knows nothing of a token without exp in a secret without accessExpiresAt', () => {
    expect(storedTokenRenewAt('opaque-token', undefined, POLICY)).toBeUndefined();
  });
});

const silent = new Logger({ logLevel: 'SILENT' });

/** A token secret reader that hands out whatever the test put in `value` and counts reads. */
function fakeSource(initial: TokenSecret | undefined) {
  const source = {
    value: initial,
    reads: 0,
    forcedReads: 0,
    async read(options: { force?: boolean } = {}): Promise<TokenSecretRead> {
      source.reads += 1;
      if (options.force) source.forcedReads += 1;
      return source.value ? { kind: 'found', secret: source.value } : { kind: 'not-found' };
    },
  };
  return source satisfies TokenSecretReader;
}

function secretWith(refresh: string, refreshExpiresAt: number, clockMs: number): TokenSecret {
  // Round-tripped through the documented format, as a reader would see it.
  return JSON.parse(
    serializeTokenSecret({ refresh, refreshExpiresAt, updatedAt: new Date(clockMs).toISOString() }),
  ) as TokenSecret;
}

describe('renewal margin with short-lived access tokens (simulator, controlled clocks)', () => {
  let simulator: Simulator;
  let client: ApptenticateClient;
  let clock = 0;
  let vendorOffsetMs = 0;

  beforeAll(async () => {
    simulator = await startSimulator({ accessTtlSeconds: 20, now: () => clock + vendorOffsetMs });
    client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
  });
  afterAll(async () => {
    await client.close();
    await simulator.stop();
  });
  beforeEach(() => {
    clock = Date.UTC(2026, 10, 30, 5, 0, 0);
    vendorOffsetMs = 0;
    simulator.control.reset();
  });

  async function refreshToken(): Promise<string> {
    const login = await client.login(simulator.username, simulator.password);
    if (login.kind !== 'ok') throw new Error(`login failed: ${login.kind}`);
    simulator.control.reset();
    return login.refresh;
  }

  function checkerFor(source: TokenSecretReader) {
    const tokens = new AccessTokenProvider({ source, client, now: () => clock, logger: silent });
    return new AuthorizedLivenessChecker({ client, tokens, logger: silent });
  }

  it('refreshes 20 s access tokens about once per lifetime, not before every call', async () => {
    const refresh = await refreshToken();
    const subject = checkerFor(fakeSource(secretWith(refresh, clock / 1000 + 86_400, clock)));

    for (let call = 0; call < 26; call++) {
      const outcome = await subject.checkLiveness(selfie);
      expect(outcome.kind).toBe('passed');
      clock += 1000;
    }

    const { counts } = simulator.control.state();
    expect(counts.liveness).toBe(26);
    // 26 s of calls with tokens renewed 5 s (a quarter of 20 s) before they lapse: 15 s each.
    expect(counts.refresh).toBe(2);
  });

  it('reuses a token for its whole lifetime when the vendor clock lags ours', async () => {
    // Seen from our clock, a 300 s token minted by a vendor 290 s behind "expires" in 10 s.
    const longLived = await startSimulator({ now: () => clock - 290_000 });
    const longClient = new ApptenticateClient({ baseUrl: longLived.baseUrl });
    try {
      const login = await longClient.login(longLived.username, longLived.password);
      if (login.kind !== 'ok') throw new Error('login failed');
      longLived.control.reset();
      const tokens = new AccessTokenProvider({
        source: fakeSource(secretWith(login.refresh, clock / 1000 + 86_400, clock)),
        client: longClient,
        now: () => clock,
        logger: silent,
      });
      const subject = new AuthorizedLivenessChecker({ client: longClient, tokens, logger: silent });

      for (let call = 0; call < 10; call++) {
        await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
        clock += 5000;
      }

      expect(longLived.control.state().counts).toMatchObject({ liveness: 10, refresh: 1 });
    } finally {
      await longClient.close();
      await longLived.stop();
    }
  });

  it('never sends a refresh token past its refreshExpiresAt: re-reads the secret, then asks the refresher', async () => {
    const refresh = await refreshToken();
    const source = fakeSource(secretWith(refresh, clock / 1000 - 1, clock));
    const requestTokenRefresh = vi.fn(async () => {});
    const tokens = new AccessTokenProvider({
      source,
      client,
      requestTokenRefresh,
      now: () => clock,
      logger: silent,
    });

    await expect(tokens.getAccessToken()).resolves.toMatchObject({ kind: 'auth-refused' });

    expect(simulator.control.state().counts.refresh).toBe(0);
    expect(source.forcedReads).toBe(1);
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'refresh-token-refused' });
  });

  it('uses the refreshed secret when the re-read brings a refresh token that has not expired', async () => {
    const refresh = await refreshToken();
    const source = fakeSource(secretWith(refresh, clock / 1000, clock));
    const fresh = secretWith(refresh, clock / 1000 + 86_400, clock);
    const read = source.read.bind(source);
    source.read = async (options = {}) => {
      if (options.force) source.value = fresh;
      return await read(options);
    };
    const requestTokenRefresh = vi.fn(async () => {});
    const tokens = new AccessTokenProvider({
      source,
      client,
      requestTokenRefresh,
      now: () => clock,
      logger: silent,
    });

    await expect(tokens.getAccessToken()).resolves.toMatchObject({ kind: 'ok' });

    expect(simulator.control.state().counts.refresh).toBe(1);
    expect(requestTokenRefresh).not.toHaveBeenCalled();
  });

  it('reports a refresh answered with 403 by the simulator as retryable', async () => {
    const refresh = await refreshToken();
    simulator.control.script({ type: 'status', status: 403, endpoint: 'refresh' });
    const requestTokenRefresh = vi.fn(async () => {});
    const tokens = new AccessTokenProvider({
      source: fakeSource(secretWith(refresh, clock / 1000 + 86_400, clock)),
      client,
      requestTokenRefresh,
      now: () => clock,
      logger: silent,
    });

    await expect(tokens.getAccessToken()).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'TOKEN_REFRESH_FAILED',
      httpStatus: 403,
    });
    expect(requestTokenRefresh).not.toHaveBeenCalled();
  });

  it('reports an HTML page with status 200 from the refresh endpoint as retryable', async () => {
    const refresh = await refreshToken();
    simulator.control.script({ type: 'non-json', endpoint: 'refresh' });
    const tokens = new AccessTokenProvider({
      source: fakeSource(secretWith(refresh, clock / 1000 + 86_400, clock)),
      client,
      now: () => clock,
      logger: silent,
    });
    const subject = new AuthorizedLivenessChecker({ client, tokens, logger: silent });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'TOKEN_REFRESH_FAILED',
    });
    expect(simulator.control.state().counts.liveness).toBe(0);
  });
});

describe('refresh endpoint failures (MockAgent)', () => {
  const BASE = 'https://api.apptenticate.test';
  const REFRESH = '/api/token/refresh/';
  let agent: MockAgent;
  let client: ApptenticateClient;
  const clock = Date.UTC(2026, 10, 30, 5, 0, 0);

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    client = new ApptenticateClient({ baseUrl: BASE, dispatcher: agent });
  });
  afterEach(async () => {
    await client.close();
    await agent.close();
  });

  function provider(requestTokenRefresh = vi.fn(async () => {})) {
    const source = fakeSource(secretWith('opaque-refresh-token', clock / 1000 + 86_400, clock));
    return {
      source,
      tokens: new AccessTokenProvider({
        source,
        client,
        requestTokenRefresh,
        now: () => clock,
        logger: silent,
      }),
    };
  }

  it.each([
    [400, JSON.stringify({ refresh: ['This field is required.'] }), 'application/json'],
    [403, JSON.stringify({ detail: 'Forbidden' }), 'application/json'],
    [404, '<html><body>Not Found</body></html>', 'text/html'],
    [200, '<html><body>Service temporarily rerouted</body></html>', 'text/html'],
  ])(
    'reports HTTP %i from the refresh endpoint as retryable without walking the ladder',
    async (status, body, type) => {
      agent
        .get(BASE)
        .intercept({ path: REFRESH, method: 'POST' })
        .reply(status, body, { headers: { 'content-type': type } });
      const requestTokenRefresh = vi.fn(async () => {});
      const { source, tokens } = provider(requestTokenRefresh);

      const outcome = await tokens.getAccessToken();

      expect(outcome).toMatchObject({
        kind: 'retryable',
        reason: 'TOKEN_REFRESH_FAILED',
        httpStatus: status,
      });
      expect(source.forcedReads).toBe(0);
      expect(requestTokenRefresh).not.toHaveBeenCalled();
      // The message names what happened and never quotes the vendor's body.
      expect(outcome.kind === 'retryable' && outcome.message).not.toMatch(/html|Forbidden|required/i);
    },
  );

  it('walks the ladder only for a 401 from the refresh endpoint', async () => {
    agent
      .get(BASE)
      .intercept({ path: REFRESH, method: 'POST' })
      .reply(401, JSON.stringify({ detail: 'Token is invalid or expired', code: 'token_not_valid' }));
    const requestTokenRefresh = vi.fn(async () => {});
    const { source, tokens } = provider(requestTokenRefresh);

    await expect(tokens.getAccessToken()).resolves.toMatchObject({ kind: 'auth-refused' });

    expect(source.forcedReads).toBe(1);
    expect(requestTokenRefresh).toHaveBeenCalledTimes(1);
  });
});
