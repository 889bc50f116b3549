import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, type RemovalPolicy, type Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleFileName, esbuildAliases, PIPELINE_BUNDLING } from '../bundling.js';
import type { PipelineFunctionName } from '../settings.js';
import { nagFinding } from './nag.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK_FILE = `${PROJECT_ROOT}package-lock.json`;
/**
 * Where the published package keeps its prebuilt bundles: `dist/bundles/<name>/` beside
 * `dist/infra/`. A clone of the repository has no such folder and bundles from the source.
 */
const SHIPPED_BUNDLES = fileURLToPath(new URL('../../bundles/', import.meta.url));

/** Where a function's code comes from. */
export type FunctionCodeSource =
  /** The bundle the package ships, built at pack time with `PIPELINE_BUNDLING`: no esbuild, no Docker. */
  | { readonly kind: 'shipped'; readonly dir: string }
  /** The function's `handler.ts`, bundled at synth by esbuild (`NodejsFunction`), as in a clone. */
  | { readonly kind: 'source'; readonly entry: string };

/**
 * The shipped bundle of a function when the package has one, else its source. Throws, saying what to
 * do, when there is neither (a package whose build did not run).
 */
export function functionCodeSource(
  name: PipelineFunctionName,
  roots: { bundles: string; project: string } = { bundles: SHIPPED_BUNDLES, project: PROJECT_ROOT },
): FunctionCodeSource {
  const dir = join(roots.bundles, name);
  if (existsSync(join(dir, bundleFileName(PIPELINE_BUNDLING)))) return { kind: 'shipped', dir };
  const entry = join(roots.project, 'functions', name, 'handler.ts');
  if (existsSync(entry)) return { kind: 'source', entry };
  throw new Error(
    `No code for the ${name} function: neither a prebuilt bundle in ${dir} nor its source at ${entry}. Reinstall the package (its bundles are built by "npm run build" when it is packed), or deploy from a clone of the repository.`,
  );
}

/** How a pipeline function runs, in CDK units: what the parts of the pipeline take for each function they create. */
export interface PipelineFunctionOptions {
  /** How long one invocation may run. */
  readonly timeout: Duration;
  /** Memory of the function (Lambda gives CPU in proportion); whole mebibytes. */
  readonly memorySize: Size;
  /** Environment from settings (resource names are added with `bind`). */
  readonly environment: Record<string, string>;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the function's log group when it is removed from the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/** Props of one pipeline function. */
export interface PipelineFunctionProps extends PipelineFunctionOptions {
  /** The folder under `functions/` whose `handler.ts` exports `handler`. */
  readonly name: PipelineFunctionName;
  /** The Lambda function's description. */
  readonly description: string;
  /**
   * Where the code comes from.
   * @default - `functionCodeSource(name)`: the package's prebuilt bundle, else the source
   */
  readonly code?: FunctionCodeSource;
  /**
   * Concurrency reserved for the function, which is also its cap.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How often Lambda retries an asynchronous invocation that returned an error (0 to 2).
   * @default - Lambda's default, 2
   */
  readonly asyncRetryAttempts?: number;
}

/**
 * One Lambda function of the pipeline: Node.js 24 on arm64, from the bundle the package ships or
 * bundled locally by esbuild from the source (no Docker either way), with its own role (no managed
 * policies: least privilege) and its own log group with retention.
 */
export class PipelineFunction extends Construct {
  /** The Lambda function (a `NodejsFunction` when bundled from the source). */
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the selfie liveness ${props.name} function`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this log group only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const code = props.code ?? functionCodeSource(props.name);
    const common = {
      description: props.description,
      // Always explicit: without cdk.json's feature flags NodejsFunction would pick an old runtime.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize.toMebibytes(),
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      ...(props.asyncRetryAttempts !== undefined ? { retryAttempts: props.asyncRetryAttempts } : {}),
    } satisfies Partial<lambda.FunctionProps>;
    // Same construct id either way, so the logical IDs do not depend on where the code comes from.
    this.function =
      code.kind === 'shipped'
        ? new lambda.Function(this, 'Function', {
            ...common,
            code: lambda.Code.fromAsset(code.dir),
            handler: 'index.handler',
          })
        : new NodejsFunction(this, 'Function', {
            ...common,
            entry: code.entry,
            handler: 'handler',
            ...(existsSync(LOCK_FILE) ? { depsLockFilePath: LOCK_FILE, projectRoot: PROJECT_ROOT } : {}),
            // The same options the package build and the benchmarks bundle with (infra/bundling.ts).
            bundling: {
              format: PIPELINE_BUNDLING.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
              mainFields: [...PIPELINE_BUNDLING.mainFields],
              ...(PIPELINE_BUNDLING.format === 'esm' ? { banner: PIPELINE_BUNDLING.banner } : {}),
              target: PIPELINE_BUNDLING.target,
              minify: PIPELINE_BUNDLING.minify,
              sourceMap: PIPELINE_BUNDLING.sourceMap,
              externalModules: [...PIPELINE_BUNDLING.externalModules],
              esbuildArgs: Object.fromEntries(
                Object.entries(esbuildAliases(PROJECT_ROOT)).map(([module, file]) => [
                  `--alias:${module}`,
                  file,
                ]),
              ),
            },
          });
  }

  /** Sets an environment variable naming a resource and grants the matching permissions, together. */
  bind(envVar: string, value: string, ...statements: iam.PolicyStatement[]): this {
    this.function.addEnvironment(envVar, value);
    return this.grant(...statements);
  }

  /** Adds permissions to the function's role. */
  grant(...statements: iam.PolicyStatement[]): this {
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    return this;
  }

  /**
   * Records why a wildcard resource in this function's policy is needed, as a cdk-nag
   * `AwsSolutions-IAM5` acknowledgement for exactly that resource.
   */
  acknowledgeWildcard(resource: string, reason: string): this {
    const finding = nagFinding(Stack.of(this).resolve(resource));
    Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
    return this;
  }
}

/** An IAM Allow statement. */
export function allow(actions: string[], resources: string[], conditions?: Record<string, unknown>) {
  return new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
}

/** The condition that limits KMS permissions to calls a given AWS service makes on the caller's behalf. */
export function viaService(scope: Construct, service: 's3' | 'secretsmanager'): Record<string, unknown> {
  return { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(scope).region}.amazonaws.com` } };
}
