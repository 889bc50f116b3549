/**
 * The liveness call as the checker makes it: authorised with a cached access token, with one
 * refresh and one retry on a 401; and the factory that wires it to the token secret.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger } from '../observability.js';
import { AccessTokenProvider, type AccessTokenProviderOptions } from './access-token-provider.js';
import type { ApptenticateClient } from './client.js';
import type { LivenessChecker, LivenessOutcome, LivenessRequest } from './outcome.js';
import { TokenSecretStore } from './token-secret.js';

/** Options of {@link AuthorizedLivenessChecker}. */
export interface AuthorizedLivenessCheckerOptions {
  client: Pick<ApptenticateClient, 'checkLiveness'>;
  tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

/**
 * The {@link LivenessChecker} the checker function uses: it authorises each call with a cached
 * access token and, on a 401, drops the token, refreshes once and retries once.
 */
export class AuthorizedLivenessChecker implements LivenessChecker {
  private readonly client: Pick<ApptenticateClient, 'checkLiveness'>;
  private readonly tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  private readonly logger: Logger;

  constructor(options: AuthorizedLivenessCheckerOptions) {
    this.client = options.client;
    this.tokens = options.tokens;
    this.logger = options.logger ?? createLogger('apptenticate');
  }

  /**
   * One liveness call with tokens handled. Returns `auth-refused` when no token is accepted
   * (the message should be retried later); throws `RetryableError` when the token secret cannot
   * be read.
   */
  async checkLiveness(request: LivenessRequest): Promise<LivenessOutcome> {
    const first = await this.tokens.getAccessToken();
    if (first.kind !== 'ok') return first;
    const outcome = await this.client.checkLiveness(first.token, request);
    if (outcome.kind !== 'auth-refused') return outcome;

    this.logger.info('access token refused, refreshing and retrying once');
    this.tokens.invalidate(first.token);
    const second = await this.tokens.getAccessToken();
    if (second.kind !== 'ok') return second;
    const retried = await this.client.checkLiveness(second.token, request);
    if (retried.kind === 'auth-refused') {
      this.tokens.invalidate(second.token);
      this.logger.warn('fresh access token refused too');
    }
    return retried;
  }
}

/** Options of {@link createAuthorizedLivenessChecker}. */
export interface CreateAuthorizedLivenessCheckerOptions
  extends Omit<AccessTokenProviderOptions, 'source' | 'client' | 'logger'> {
  /** ARN or name of the token secret. */
  tokenSecretId: string;
  client: Pick<ApptenticateClient, 'checkLiveness' | 'refresh'>;
  /** @default a new `SecretsManagerClient` */
  secretsClient?: SecretsManagerClient;
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
    client: secretsClient ?? new SecretsManagerClient({}),
    ...(secretMaxAgeSeconds !== undefined ? { maxAgeSeconds: secretMaxAgeSeconds } : {}),
  });
  const tokens = new AccessTokenProvider({
    ...providerOptions,
    source,
    client,
    ...(logger ? { logger } : {}),
  });
  return new AuthorizedLivenessChecker({ client, tokens, ...(logger ? { logger } : {}) });
}
