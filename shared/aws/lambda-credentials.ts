/**
 * The credential provider of the deployed functions: it stands in for
 * `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias, `infra/bundling.ts`).
 *
 * Lambda hands every function its role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), valid for the execution environment's life, and that
 * is the first source the SDK's default chain tries: the SDK's own `fromEnv`. The chain's other
 * sources (profiles and shared files, SSO, web identity, `credential_process`, container and instance
 * metadata) and the STS, SSO and sign-in clients they carry are never reached on Lambda; leaving them
 * out takes about 110 KiB off every bundle. Tests and the local pipeline run the source, with the
 * SDK's whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type EnvProvider = ReturnType<typeof fromEnv>;

/**
 * The default provider's signature (`defaultProvider(init)` returns the provider the client
 * memoizes): `fromEnv`, whose failure (only outside Lambda: the runtime always sets the variables)
 * says which variables this bundle reads.
 */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): EnvProvider {
  const provider = fromEnv(init);
  return async (options) => {
    try {
      return await provider(options);
    } catch (error) {
      throw new Error(
        'no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle reads only those, as Lambda provides them',
        { cause: error },
      );
    }
  };
}

/** As the replaced module: credentials with an expiration are refreshed... */
export const credentialsWillNeedRefresh = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined;

/** ...5 minutes before they expire. */
export const credentialsTreatedAsExpired = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
