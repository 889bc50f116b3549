/**
 * The liveness call as the checker makes it: authorised with a cached access token, with one
 * refresh and one retry on a 401; and the factory that wires it to the token secret.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Deadline } from '../deadline.js';
import { createLogger } from '../observability.js';
import { AccessTokenProvider, type AccessTokenProviderOptions } from './access-token-provider.js';
import type { ApptenticateClient } from './client.js';
import type { LivenessChecker, LivenessOutcome, LivenessRequest, VendorRetryable } from './outcome.js';
import { TokenSecretStore } from './token-secret.js';

/** Options of {@link AuthorizedLivenessChecker}. */
export interface AuthorizedLivenessCheckerOptions {
  client: Pick<ApptenticateClient, 'checkLiveness'>;
  tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  /**
   * A liveness call is paid; one cut off by the deadline may be paid again on the retry. So none
   * starts with less than this left before the record's deadline (the client's call timeout).
   * @default 0
   */
  livenessCallMs?: number;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

const NO_TIME_FOR_A_CALL: VendorRetryable = {
  kind: 'retryable',
  reason: 'TIMEOUT',
  message: "too little of the record's deadline left for a whole liveness call; retry later",
};

/**
 * The {@link LivenessChecker} the checker function uses: it authorises each call with a cached
 * access token and, on a 401, drops the token, refreshes once and retries once.
 */
export class AuthorizedLivenessChecker implements LivenessChecker {
  private readonly client: Pick<ApptenticateClient, 'checkLiveness'>;
  private readonly tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  private readonly livenessCallMs: number;
  private readonly logger: Logger;

  constructor(options: AuthorizedLivenessCheckerOptions) {
    this.client = options.client;
    this.tokens = options.tokens;
    this.livenessCallMs = options.livenessCallMs ?? 0;
    this.logger = options.logger ?? createLogger('apptenticate');
  }

  /**
   * One liveness call with tokens handled. Returns `auth-refused` when no token is accepted
   * (the message should be retried later); throws `RetryableError` when the token secret cannot
   * be read.
   */
  async checkLiveness(
    request: LivenessRequest,
    options: { deadline?: Deadline } = {},
  ): Promise<LivenessOutcome> {
    const { deadline } = options;
    const signal = deadline ? { signal: deadline.signal } : {};
    const first = await this.tokens.getAccessToken(signal);
    if (first.kind !== 'ok') return first;
    const outcome = await this.call(first.token, request, deadline);
    if (outcome.kind !== 'auth-refused') return outcome;

    this.logger.info('access token refused, refreshing and retrying once');
    this.tokens.invalidate(first.token);
    const second = await this.tokens.getAccessToken(signal);
    if (second.kind !== 'ok') return second;
    const retried = await this.call(second.token, request, deadline);
    if (retried.kind === 'auth-refused') {
      this.tokens.invalidate(second.token);
      this.logger.warn('fresh access token refused too');
    }
    return retried;
  }

  private async call(token: string, request: LivenessRequest, deadline: Deadline | undefined) {
    if (!deadline) return await this.client.checkLiveness(token, request);
    if (deadline.remainingMs() < this.livenessCallMs) return NO_TIME_FOR_A_CALL;
    return await this.client.checkLiveness(token, request, { signal: deadline.signal });
  }
}

/** Options of {@link createAuthorizedLivenessChecker}. */
export interface CreateAuthorizedLivenessCheckerOptions
  extends Omit<AccessTokenProviderOptions, 'source' | 'client' | 'logger'> {
  /** ARN or name of the token secret. */
  tokenSecretId: string;
  /** With `callTimeoutMs`, no liveness call starts with less than that left before the deadline. */
  client: Pick<ApptenticateClient, 'checkLiveness' | 'refresh'> & { callTimeoutMs?: number };
  /** The client reading the token secret: the calling function's own, named by its user agent. */
  secretsClient: SecretsManagerClient;
  /** How long the token secret is cached. @default 300 */
  secretMaxAgeSeconds?: number;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

/** Wires the token secret store, the access token provider and the checker together. */
export function createAuthorizedLivenessChecker(
  options: CreateAuthorizedLivenessCheckerOptions,
): AuthorizedLivenessChecker {
  const { tokenSecretId, client, secretsClient, secretMaxAgeSeconds, logger, ...providerOptions } = options;
  const source = new TokenSecretStore({
    secretId: tokenSecretId,
    client: secretsClient,
    ...(secretMaxAgeSeconds !== undefined ? { maxAgeSeconds: secretMaxAgeSeconds } : {}),
  });
  const tokens = new AccessTokenProvider({
    ...providerOptions,
    source,
    client,
    ...(logger ? { logger } : {}),
  });
  return new AuthorizedLivenessChecker({
    client,
    tokens,
    ...(client.callTimeoutMs !== undefined ? { livenessCallMs: client.callTimeoutMs } : {}),
    ...(logger ? { logger } : {}),
  });
}
