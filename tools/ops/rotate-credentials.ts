/**
 * `npm run ops -- rotate-credentials --password-stdin [--username U] [--no-wait]` (or
 * `--keep-password`): puts the new Apptenticate password into the credentials secret, forces the
 * token-refresher to log in with it (`{"force": true}`: a run that is not forced answers
 * `STILL_VALID` while the stored refresh token has more than its margin left and never tries the new
 * password), waits out the refresher's write guard (or reports it), and verifies that the login
 * happened: the refresher answered `refreshed` and the token secret was written after the rotation.
 * The password is read from standard input (or `APPTENTICATE_NEW_PASSWORD`), never from the command
 * line, and never printed.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { RefreshResult } from '../../functions/token-refresher/refresher.js';
import { TokenSecretStore } from '../../shared/apptenticate/token-secret.js';
import { isOn, numberFlag } from './args.js';
import type { OpsCommand, OpsContext } from './context.js';
import { formatDuration } from './output.js';
import { type PipelineName, requireNames } from './target.js';

/** How many times a run is forced before giving up (another run may keep writing in between). */
const MAX_INVOCATIONS = 4;
/** The request the refresher's handler reads: log in whatever the stored token's age. */
export const FORCE_REFRESH = { force: true, reason: 'rotate-credentials' } as const;

export const rotateCredentialsCommand: OpsCommand = {
  name: 'rotate-credentials',
  usage:
    'rotate-credentials (--password-stdin | --keep-password) [--username U] [--no-wait] [--max-wait SECONDS]',
  help: `Change the password with Apptenticate first. Then this puts it into the credentials secret (read
from standard input with --password-stdin, or from APPTENTICATE_NEW_PASSWORD; the username is kept
unless --username), forces the token-refresher to log in with it, waits out its write guard (at most
--max-wait seconds, default 900; --no-wait reports when to run again), and verifies the login.
--keep-password forces and verifies a login with the stored credentials.`,
  flags: ['password-stdin', 'keep-password', 'username', 'no-wait', 'max-wait'],
  needs: () => ['credentialsSecretArn', 'tokenSecretArn', 'tokenRefresherFunctionName'],
  async run(ctx) {
    const names = requireNames(ctx.target, [
      'credentialsSecretArn',
      'tokenSecretArn',
      'tokenRefresherFunctionName',
    ] satisfies PipelineName[]);
    const started = ctx.clock.now();
    if (!isOn(ctx.flags, 'keep-password', false)) {
      await putNewPassword(ctx, names.credentialsSecretArn);
    } else if (ctx.flags['password-stdin'] || ctx.flags.username) {
      throw new Error(
        '--keep-password keeps the stored credentials: give no new password or username with it',
      );
    }

    const wait = !isOn(ctx.flags, 'no-wait', false);
    const maxWaitMs = numberFlag(ctx.flags, 'max-wait', 900, 86_400) * 1000;
    for (let invocation = 1; invocation <= MAX_INVOCATIONS; invocation++) {
      ctx.out.line(`forcing the token-refresher (${names.tokenRefresherFunctionName}) to log in`);
      const outcome = await forceRefresh(ctx, names.tokenRefresherFunctionName);
      if (outcome.kind === 'error') {
        ctx.out.line(`the token-refresher failed: ${outcome.errorType}: ${outcome.errorMessage}`);
        ctx.out.line(
          /refused the username and password/.test(outcome.errorMessage)
            ? 'Apptenticate refused the credentials now in the secret: check the password with Apptenticate and run this again. Until then checkers use the stored refresh token; the scheduled runs will keep failing.'
            : 'the login did not happen: read the refresher log group, then run this again with --keep-password',
        );
        return 1;
      }
      const result = outcome.result;
      if (result.refreshed) return await verify(ctx, names.tokenSecretArn, started);
      if (result.reason === 'RECENTLY_WRITTEN') {
        const waitMs = Date.parse(result.writableAt) - ctx.clock.now().getTime() + 1000;
        if (!wait || waitMs > maxWaitMs) {
          ctx.out.line(
            `the token secret was written less than the refresher's write guard ago: it logs in again only after ${result.writableAt}. Run npm run ops -- rotate-credentials --keep-password then.`,
          );
          return 2;
        }
        ctx.out.line(
          `the refresher's write guard holds until ${result.writableAt}: waiting ${formatDuration(waitMs)}`,
        );
        await ctx.clock.sleep(Math.max(0, waitMs));
        continue;
      }
      if (result.reason === 'WRITTEN_BY_ANOTHER_RUN') {
        // That run may have read the old password: force again once its write guard opens.
        ctx.out.line('another refresher run wrote the token secret at the same time: forcing again');
        continue;
      }
      ctx.out.line(`the token-refresher answered ${result.reason} to a forced run; it did not log in`);
      return 1;
    }
    ctx.out.line(
      `the token-refresher did not log in after ${MAX_INVOCATIONS} forced runs: run this again with --keep-password`,
    );
    return 1;
  },
};

async function putNewPassword(ctx: OpsContext, credentialsSecretArn: string): Promise<void> {
  const password = ctx.flags['password-stdin']
    ? (await ctx.readStdin()).replace(/\r?\n$/, '')
    : (ctx.env.APPTENTICATE_NEW_PASSWORD ?? '');
  if (!password) {
    throw new Error(
      'give the new password on standard input with --password-stdin (or in APPTENTICATE_NEW_PASSWORD), never on the command line; or --keep-password to force a login with the stored one',
    );
  }
  ctx.out.secret(password);
  const current = await ctx.clients.secretsManager
    .send(new GetSecretValueCommand({ SecretId: credentialsSecretArn }))
    .catch((error: Error) => {
      if (error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    });
  let username = typeof ctx.flags.username === 'string' ? ctx.flags.username : undefined;
  if (!username) {
    try {
      const stored = JSON.parse(current?.SecretString ?? '') as { username?: unknown };
      if (typeof stored.username === 'string' && stored.username !== '') username = stored.username;
    } catch {
      // no usable value: the username must be given
    }
  }
  if (!username) throw new Error('the credentials secret holds no username: pass --username <user>');
  const { VersionId } = await ctx.clients.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: credentialsSecretArn,
      SecretString: JSON.stringify({ username, password }),
    }),
  );
  ctx.out.line(
    `credentials secret updated: username ${username}, a new password of ${password.length} characters (version ${VersionId ?? '?'}${
      current?.VersionId
        ? `; the previous value stays as version ${current.VersionId}, stage AWSPREVIOUS`
        : ''
    })`,
  );
}

type RefreshOutcome =
  | { kind: 'result'; result: RefreshResult }
  | { kind: 'error'; errorType: string; errorMessage: string };

/** Invokes the refresher synchronously with the forcing payload; a thrown error comes back as `FunctionError`. */
async function forceRefresh(ctx: OpsContext, functionName: string): Promise<RefreshOutcome> {
  const answer = await ctx.clients.lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(FORCE_REFRESH)),
    }),
  );
  const text = Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8');
  const payload = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (answer.FunctionError) {
    return {
      kind: 'error',
      errorType: String(payload.errorType ?? answer.FunctionError),
      errorMessage: String(payload.errorMessage ?? 'no message'),
    };
  }
  return { kind: 'result', result: payload as unknown as RefreshResult };
}

/** The refresher said it logged in: the token secret must have been written since the rotation began. */
async function verify(ctx: OpsContext, tokenSecretArn: string, started: Date): Promise<number> {
  const store = new TokenSecretStore({
    secretId: tokenSecretArn,
    client: ctx.clients.secretsManager,
    maxAgeSeconds: 0,
  });
  const { read } = await store.readVersioned();
  if (read.kind !== 'found' || Date.parse(read.secret.updatedAt) < started.getTime() - 1000) {
    ctx.out.line(
      'the refresher reported a login, but the token secret was not written since: run this again with --keep-password',
    );
    return 1;
  }
  ctx.out.line(
    `verified: the token-refresher logged in with the stored credentials and wrote the token secret at ${read.secret.updatedAt}; the new refresh token is valid until ${new Date(read.secret.refreshExpiresAt * 1000).toISOString()}`,
  );
  return 0;
}
