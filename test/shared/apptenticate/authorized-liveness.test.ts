import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import {
  AuthorizedLivenessChecker,
  createAuthorizedLivenessChecker,
} from '../../../shared/apptenticate/authorized-liveness.js';
import { SECRET_ID, selfie, silent, useTokenTestbed } from './helpers.js';

const bed = useTokenTestbed();

function checker(requestTokenRefresh = vi.fn(async () => {})) {
  return createAuthorizedLivenessChecker({
    tokenSecretId: SECRET_ID,
    client: bed.client,
    secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
    requestTokenRefresh,
    now: bed.now,
    logger: silent,
  });
}

describe('AuthorizedLivenessChecker', () => {
  it('refreshes after a 401 and retries once successfully', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    bed.simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness' });

    const outcome = await checker().checkLiveness(selfie);

    expect(outcome.kind).toBe('passed');
    expect(bed.simulator.control.state().counts).toMatchObject({ liveness: 2, refresh: 1 });
  });

  it('refreshes rather than fall back on a stored access token the vendor refused before', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    const subject = checker();
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    // The stored access token is refused: the container refreshes and retries.
    bed.simulator.control.expireAccessTokens();
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    // Then its own refreshed token is refused too: the stored one must not come back.
    bed.simulator.control.expireAccessTokens();

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    expect(bed.simulator.control.state().counts).toMatchObject({ liveness: 5, refresh: 2 });
  });

  it('re-reads the secret when the refresh token is refused and succeeds with the rotated one', async () => {
    const old = await bed.login();
    bed.simulator.control.revokeRefreshTokens();
    const rotated = await bed.login();
    bed.sm
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: bed.secretOf({ refresh: old.refresh }) })
      .resolves({ SecretString: bed.secretOf({ refresh: rotated.refresh }) });
    const requestTokenRefresh = vi.fn(async () => {});

    const outcome = await checker(requestTokenRefresh).checkLiveness(selfie);

    expect(outcome.kind).toBe('passed');
    expect(bed.sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(bed.simulator.control.state().counts.refresh).toBe(2);
    expect(requestTokenRefresh).not.toHaveBeenCalled();
  });

  it('asks the refresher once per interval and reports auth-refused while every refresh token is refused', async () => {
    const old = await bed.login();
    bed.simulator.control.revokeRefreshTokens();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: old.refresh }) });
    const requestTokenRefresh = vi.fn(async () => {});
    const subject = checker(requestTokenRefresh);

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    bed.clock += 60_000;
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    bed.clock += 60_000;
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });

    expect(requestTokenRefresh).toHaveBeenCalledTimes(1);
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'refresh-token-refused' });
    // The refused refresh token is not sent again, and the liveness endpoint is never paid for.
    expect(bed.simulator.control.state().counts).toMatchObject({ refresh: 1, liveness: 0 });

    bed.clock += 300_000;
    await subject.checkLiveness(selfie);
    expect(requestTokenRefresh).toHaveBeenCalledTimes(2);
  });

  it('reports auth-refused when a freshly refreshed token is refused too', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    bed.simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness', times: 2 });

    await expect(checker().checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    expect(bed.simulator.control.state().counts.liveness).toBe(2);
  });

  it('returns verdicts and failures of the liveness call unchanged', async () => {
    const fakeClient = {
      checkLiveness: vi.fn(
        async () => ({ kind: 'retryable', reason: 'RATE_LIMITED', message: 'x' }) as const,
      ),
    };
    const tokens = {
      getAccessToken: vi.fn(async () => ({ kind: 'ok', token: 't' }) as const),
      invalidate: vi.fn(),
    };
    const subject = new AuthorizedLivenessChecker({ client: fakeClient, tokens, logger: silent });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'RATE_LIMITED',
    });
    expect(tokens.invalidate).not.toHaveBeenCalled();
  });
});

describe('AuthorizedLivenessChecker with a record deadline', () => {
  /**
   * A record deadline with plenty of time on its clock that the test fires once the simulator has
   * received the call it should cut short.
   */
  function deadlineFiredWhen(received: () => boolean) {
    const controller = new AbortController();
    const poll = setInterval(() => {
      if (!received()) return;
      clearInterval(poll);
      controller.abort();
    }, 5);
    return { signal: controller.signal, remainingMs: () => 60_000, stop: () => clearInterval(poll) };
  }

  it('stops at the deadline while the refresh hangs, with a retryable TIMEOUT and no liveness call', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    bed.simulator.control.script({ type: 'slow', delayMs: 3_000, endpoint: 'refresh' });
    const deadline = deadlineFiredWhen(() => bed.simulator.control.state().counts.refresh === 1);

    const outcome = await checker().checkLiveness(selfie, { deadline });
    deadline.stop();

    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    expect(bed.simulator.control.state().counts.liveness).toBe(0);
  });

  it('holds the retry after a 401 to the same deadline', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    bed.simulator.control.script(
      { type: 'status', status: 401, endpoint: 'liveness' },
      { type: 'slow', delayMs: 3_000, endpoint: 'liveness' },
    );
    const deadline = deadlineFiredWhen(() => bed.simulator.control.state().counts.liveness === 2);

    const outcome = await checker().checkLiveness(selfie, { deadline });
    deadline.stop();

    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    expect(bed.simulator.control.state().counts).toMatchObject({ liveness: 2, refresh: 1 });
  });

  it('starts no paid liveness call that could not finish before the deadline', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    const nearlyOver = {
      signal: new AbortController().signal,
      remainingMs: () => bed.client.callTimeoutMs - 1,
    };

    const outcome = await checker().checkLiveness(selfie, { deadline: nearlyOver });

    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    expect(bed.simulator.control.state().counts.liveness).toBe(0);
  });
});

describe('AuthorizedLivenessChecker with fake tokens', () => {
  const refused = { kind: 'auth-refused', httpStatus: 401, message: 'no' } as const;
  const passed = { kind: 'passed', transactionId: 'tx' } as const;

  function fakes(tokenResults: Array<{ kind: 'ok'; token: string } | typeof refused>) {
    const tokens = {
      getAccessToken: vi.fn(async (_options?: { signal?: AbortSignal }) => tokenResults.shift() ?? refused),
      invalidate: vi.fn(),
    };
    return tokens;
  }

  it('reports what the token provider says when no second token can be had, without a second call', async () => {
    const tokens = fakes([{ kind: 'ok', token: 't1' }, refused]);
    const client = { checkLiveness: vi.fn(async () => refused) };
    const subject = new AuthorizedLivenessChecker({ client, tokens, logger: silent });

    await expect(subject.checkLiveness(selfie)).resolves.toBe(refused);
    expect(client.checkLiveness).toHaveBeenCalledTimes(1);
    expect(tokens.invalidate).toHaveBeenCalledWith('t1');
  });

  it('forgets the second token too when the vendor refuses it', async () => {
    const tokens = fakes([
      { kind: 'ok', token: 't1' },
      { kind: 'ok', token: 't2' },
    ]);
    const client = { checkLiveness: vi.fn(async () => refused) };
    const subject = new AuthorizedLivenessChecker({ client, tokens, logger: silent });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    expect(tokens.invalidate.mock.calls).toEqual([['t1'], ['t2']]);
  });

  it('passes the deadline signal to the token provider and starts a call with exactly enough time left', async () => {
    const tokens = fakes([{ kind: 'ok', token: 't1' }]);
    const client = { checkLiveness: vi.fn(async () => passed) };
    const subject = new AuthorizedLivenessChecker({ client, tokens, livenessCallMs: 5_000, logger: silent });
    const deadline = { signal: new AbortController().signal, remainingMs: () => 5_000 };

    await expect(subject.checkLiveness(selfie, { deadline })).resolves.toBe(passed);
    expect(tokens.getAccessToken).toHaveBeenCalledWith({ signal: deadline.signal });
    expect(client.checkLiveness).toHaveBeenCalledWith('t1', selfie, { signal: deadline.signal });
  });

  it('starts no paid call with less than the call timeout left, and says why', async () => {
    const client = {
      checkLiveness: vi.fn(async () => passed),
      refresh: vi.fn(async () => ({ kind: 'ok', access: 'x' }) as const),
      callTimeoutMs: 5_000,
    };
    const tokens = fakes([{ kind: 'ok', token: 't1' }]);
    const direct = new AuthorizedLivenessChecker({ client, tokens, livenessCallMs: 5_000, logger: silent });
    const deadline = { signal: new AbortController().signal, remainingMs: () => 4_999 };

    await expect(direct.checkLiveness(selfie, { deadline })).resolves.toStrictEqual({
      kind: 'retryable',
      reason: 'TIMEOUT',
      message: "too little of the record's deadline left for a whole liveness call; retry later",
    });
    expect(client.checkLiveness).not.toHaveBeenCalled();
  });

  it('takes the client call timeout as the time a call needs', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    const client = Object.assign(Object.create(bed.client) as typeof bed.client, { callTimeoutMs: 5_000 });
    const subject = createAuthorizedLivenessChecker({
      tokenSecretId: SECRET_ID,
      client,
      secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
      now: bed.now,
      logger: silent,
    });
    const deadline = { signal: new AbortController().signal, remainingMs: () => 4_999 };

    await expect(subject.checkLiveness(selfie, { deadline })).resolves.toMatchObject({ reason: 'TIMEOUT' });
    expect(bed.simulator.control.state().counts.liveness).toBe(0);
  });
});

describe('createAuthorizedLivenessChecker wiring', () => {
  function spiedLogger() {
    const logger = new Logger({ logLevel: 'SILENT' });
    return { logger, info: vi.spyOn(logger, 'info'), debug: vi.spyOn(logger, 'debug') };
  }

  it('reads the named token secret through the Secrets Manager client it is given', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
    const subject = createAuthorizedLivenessChecker({
      tokenSecretId: SECRET_ID,
      client: bed.client,
      secretsClient,
      now: bed.now,
      logger: silent,
    });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    expect(bed.sm.send.callCount).toBe(1);
    expect(bed.sm.send.getCall(0).thisValue).toBe(secretsClient);
    expect(bed.sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toMatchObject({
      SecretId: SECRET_ID,
    });
  });

  it('caches the token secret for 300 s unless told otherwise', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });
    const reads = async (secretMaxAgeSeconds?: number) => {
      bed.sm.resetHistory();
      const subject = createAuthorizedLivenessChecker({
        tokenSecretId: SECRET_ID,
        client: bed.client,
        secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
        now: bed.now,
        logger: silent,
        ...(secretMaxAgeSeconds !== undefined ? { secretMaxAgeSeconds } : {}),
      });
      // The stored access token is refused once: the checker mints another, reading the secret again.
      bed.simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness' });
      await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
      return bed.sm.commandCalls(GetSecretValueCommand).length;
    };

    await expect(reads()).resolves.toBe(1);
    await expect(reads(0)).resolves.toBe(2);
  });

  it('logs through the logger it is given, from the checker and from the token provider', async () => {
    const tokens = await bed.login();
    // No stored access token: the provider refreshes one (and logs it) before the first call.
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    bed.simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness' });
    const spied = spiedLogger();
    const subject = createAuthorizedLivenessChecker({
      tokenSecretId: SECRET_ID,
      client: bed.client,
      secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
      now: bed.now,
      logger: spied.logger,
    });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    expect(spied.debug).toHaveBeenCalledWith('access token refreshed', expect.anything());
    expect(spied.info).toHaveBeenCalledWith('access token refused, refreshing and retrying once');
  });

  it('logs for service apptenticate when given no logger', async () => {
    const tokens = {
      getAccessToken: vi.fn(async () => ({ kind: 'ok', token: 't1' }) as const),
      invalidate: vi.fn(),
    };
    const client = {
      checkLiveness: vi
        .fn()
        .mockResolvedValueOnce({ kind: 'auth-refused', httpStatus: 401, message: 'no' })
        .mockResolvedValueOnce({ kind: 'passed', transactionId: 'tx' }),
    };
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const subject = new AuthorizedLivenessChecker({ client, tokens });
      await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'passed' });
    } finally {
      write.mockRestore();
    }
    const line = written.find((text) => text.includes('access token refused, refreshing and retrying once'));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({ service: 'apptenticate', level: 'INFO' });
  });
});
