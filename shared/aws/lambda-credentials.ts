/**
 * The credential provider of the deployed functions: it stands in for
 * `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias, `infra/bundling.ts`).
 *
 * Lambda hands every function its role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), valid for the execution environment's life, and that
 * is the first source the SDK's default chain tries. The chain's other sources (profiles and shared
 * files, SSO, web identity, `credential_process`, container and instance metadata) and the STS, SSO
 * and sign-in clients they carry are never reached on Lambda; leaving them out takes about 110 KiB
 * off every bundle. Tests and the local pipeline run the source, with the SDK's whole chain.
 */

/** What the SDK's signer takes: the fields of `AwsCredentialIdentity` the environment can hold. */
export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The default provider's signature (`defaultProvider(init)` returns the provider the client
 * memoizes); `init` (profile, SSO fields, logger) only matters to the sources left out.
 */
export function defaultProvider(
  _init: unknown = {},
  env: Environment = process.env,
): () => Promise<EnvironmentCredentials> {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      // Only outside Lambda: the runtime always sets them.
      throw new Error(
        'no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle reads only those, as Lambda provides them',
      );
    }
    const sessionToken = env.AWS_SESSION_TOKEN;
    const expiration = env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}

/** As the replaced module: credentials with an expiration are refreshed... */
export const credentialsWillNeedRefresh = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined;

/** ...5 minutes before they expire. */
export const credentialsTreatedAsExpired = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
