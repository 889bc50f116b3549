import { type Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { allow, PipelineFunction, type PipelineFunctionOptions, viaService } from './pipeline-function.js';
import { throwIfInvalid } from './problems.js';

/** Props of {@link ApptenticateSecrets}. */
export interface ApptenticateSecretsProps {
  /** The key that encrypts the secrets this part creates. */
  readonly encryptionKey: kms.IKey;
  /**
   * An existing secret holding the Apptenticate credentials `{"username": ..., "password": ...}`,
   * imported with its complete ARN (and its key, if customer managed). Only the token-refresher
   * may read it.
   * @default - a new secret holding a placeholder; put the credentials in after deploying
   */
  readonly credentialsSecret?: secretsmanager.ISecret;
  /**
   * An existing secret for the cached Apptenticate tokens; must not be the credentials secret.
   * @default - a new secret holding `{}` until the token-refresher first runs
   */
  readonly tokenSecret?: secretsmanager.ISecret;
  /** The token-refresher function: logs in and stores the refresh token in the token secret. */
  readonly refresher: PipelineFunctionOptions;
  /** How often the token-refresher runs: well inside the refresh token's lifetime (whole hours). */
  readonly refreshInterval: Duration;
  /**
   * Reserve a concurrency of 1 for the token-refresher: one run at a time. An account needs 11
   * units of concurrency for it (Lambda keeps 10 unreserved); a new account's quota is 10.
   * @default false - runs may overlap; the token secret write is a compare-and-swap, so they write it once
   */
  readonly reserveConcurrency?: boolean;
  /**
   * What happens to the created secrets when they are removed from the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Apptenticate secrets and what keeps them fresh: the credentials secret (read only by the
 * token-refresher), the token secret (written by it, read by the checker), the token-refresher
 * function and its schedule.
 *
 * A part of `LivenessPipeline`: it creates its resources directly in `scope` with fixed ids (see
 * the comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class ApptenticateSecrets {
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly tokenSecret: secretsmanager.ISecret;
  readonly refresher: PipelineFunction;
  readonly refresherSchedule: events.Rule;

  constructor(scope: Construct, props: ApptenticateSecretsProps) {
    throwIfInvalid('ApptenticateSecrets', secretsProblems(props));
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.credentialsSecret = props.credentialsSecret ?? createCredentialsSecret(scope, props, removalPolicy);
    this.tokenSecret = props.tokenSecret ?? createTokenSecret(scope, props, removalPolicy);

    this.refresher = new PipelineFunction(scope, 'TokenRefresher', {
      name: 'token-refresher',
      description: 'Keeps the Apptenticate refresh token fresh in Secrets Manager',
      ...props.refresher,
      // Overlapping runs (the schedule, a checker's request, a person) write the secret once: the
      // write is a compare-and-swap (TokenSecretStore.replace). The reservation only saves a login.
      reservedConcurrentExecutions: props.reserveConcurrency ? 1 : undefined,
      // No retry of a failed asynchronous invoke: refused credentials are a terminal error, and
      // retrying them risks locking the account at the vendor; the next schedule or request retries.
      asyncRetryAttempts: 0,
    });
    this.refresher
      .bind(
        'CREDENTIALS_SECRET_ARN',
        this.credentialsSecret.secretArn,
        allow(['secretsmanager:GetSecretValue'], [this.credentialsSecret.secretArn]),
        ...keyStatements(this.refresher, this.credentialsSecret, ['kms:Decrypt']),
      )
      .bind(
        'TOKEN_SECRET_ARN',
        this.tokenSecret.secretArn,
        allow(
          ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          [this.tokenSecret.secretArn],
        ),
        ...keyStatements(this.refresher, this.tokenSecret, ['kms:Decrypt', 'kms:GenerateDataKey']),
      );
    this.refresherSchedule = new events.Rule(scope, 'TokenRefresherSchedule', {
      description: 'Refreshes the Apptenticate refresh token well inside its lifetime',
      schedule: events.Schedule.rate(props.refreshInterval),
      targets: [new targets.LambdaFunction(this.refresher.function, { retryAttempts: 2 })],
    });
  }

  /**
   * Lets a function read the token secret and ask the token-refresher to run (when the refresh
   * token is refused), with the matching environment variables.
   */
  bindTokenReader(fn: PipelineFunction): void {
    fn.bind(
      'TOKEN_SECRET_ARN',
      this.tokenSecret.secretArn,
      allow(['secretsmanager:GetSecretValue'], [this.tokenSecret.secretArn]),
      ...keyStatements(fn, this.tokenSecret, ['kms:Decrypt']),
    ).bind(
      'TOKEN_REFRESHER_FUNCTION_NAME',
      this.refresher.function.functionName,
      allow(['lambda:InvokeFunction'], [this.refresher.function.functionArn]),
    );
  }
}

/** What is wrong with the secrets props, each with how to fix it. */
export function secretsProblems(
  props: Pick<ApptenticateSecretsProps, 'credentialsSecret' | 'tokenSecret'>,
): string[] {
  return props.credentialsSecret && props.credentialsSecret === props.tokenSecret
    ? [
        'credentialsSecret and tokenSecret must be different secrets: the checker may read the token secret but never the credentials',
      ]
    : [];
}

function createCredentialsSecret(
  scope: Construct,
  props: ApptenticateSecretsProps,
  removalPolicy: RemovalPolicy,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'CredentialsSecret', {
    description:
      'Apptenticate credentials {"username","password"} for the selfie liveness token-refresher. Replace the placeholder.',
    encryptionKey: props.encryptionKey,
    // A placeholder that shows the shape; the refresher fails clearly until an operator sets it.
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: 'REPLACE_ME' }),
      generateStringKey: 'password',
    },
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Vendor-issued credentials: Secrets Manager cannot rotate them with Apptenticate; the operator rotates them with the vendor (see docs/deploy.md).',
  });
  return secret;
}

function createTokenSecret(
  scope: Construct,
  props: ApptenticateSecretsProps,
  removalPolicy: RemovalPolicy,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'TokenSecret', {
    description: 'Cached Apptenticate tokens, written by the selfie liveness token-refresher.',
    encryptionKey: props.encryptionKey,
    // Not a secret value: an empty token cache until the token-refresher first runs.
    secretStringValue: SecretValue.unsafePlainText('{}'),
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The token-refresher function replaces this value on a schedule (every few hours), which is its rotation.',
  });
  return secret;
}

/** KMS permissions through Secrets Manager, when the secret has a customer managed key. */
function keyStatements(fn: PipelineFunction, secret: secretsmanager.ISecret, actions: string[]) {
  return secret.encryptionKey
    ? [allow(actions, [secret.encryptionKey.keyArn], viaService(fn, 'secretsmanager'))]
    : [];
}
