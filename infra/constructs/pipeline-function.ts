import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Duration,
  type RemovalPolicy,
  type Size,
  SizeRoundingBehavior,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_LEVELS } from '../../functions/commons/environment.js';
import { bundleFileName, esbuildAliases, PIPELINE_BUNDLING } from '../bundling.js';
import type { PipelineFunctionName } from '../settings.js';
import { nagFinding } from './nag.js';
import { DEFAULT_SUBNETS, type PipelineNetwork } from './network.js';

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

/** A level Powertools Logger knows (`POWERTOOLS_LOG_LEVEL`). */
export type PipelineLogLevel = (typeof LOG_LEVELS)[number];

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
  /**
   * Concurrency reserved for the function, which is also its cap.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The function's own log level: set as `POWERTOOLS_LOG_LEVEL` over the one in `environment`.
   * @default - the level in `environment` (the `logLevel` setting)
   */
  readonly logLevel?: PipelineLogLevel;
  /**
   * X-Ray active tracing: Lambda records a trace segment per invocation (the code is not
   * instrumented, so AWS SDK and vendor calls are not subsegments).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Run the function in a VPC.
   * @default - not in a VPC
   */
  readonly network?: PipelineNetwork;
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

    if (props.network) {
      // What AWSLambdaVPCAccessExecutionRole grants for the function's network interfaces (CDK adds
      // that managed policy only to roles it creates itself). Lambda checks for these when it
      // creates the function, so the function depends on this role's policy (CDK adds the dependency).
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      this.acknowledgeWildcard(
        '*',
        'Lambda manages the network interfaces of a function in a VPC with the function role; ec2:Describe* have no resource-level permissions and the interfaces do not exist before Lambda creates them.',
      );
    }
    if (props.tracing) {
      this.acknowledgeWildcard(
        '*',
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (CDK adds them for Tracing.ACTIVE).',
      );
    }
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
      // The function's own log level wins over the pipeline's `logLevel` setting.
      environment: {
        ...props.environment,
        ...(props.logLevel !== undefined ? { POWERTOOLS_LOG_LEVEL: props.logLevel } : {}),
      },
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets ?? DEFAULT_SUBNETS,
            ...(props.network.securityGroups ? { securityGroups: props.network.securityGroups } : {}),
          }
        : {}),
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
   * `AwsSolutions-IAM5` acknowledgement for exactly that resource. Several reasons for the same
   * resource (`*` for X-Ray, for network interfaces, for ListStreams) are kept together.
   */
  acknowledgeWildcard(resource: string, reason: string): this {
    const id = `AwsSolutions-IAM5[Resource::${nagFinding(Stack.of(this).resolve(resource))}]`;
    const reasons = [...(this.wildcardReasons.get(id) ?? []), reason];
    this.wildcardReasons.set(id, reasons);
    Validations.of(this.role).acknowledge({ id, reason: reasons.join(' ') });
    return this;
  }

  private readonly wildcardReasons = new Map<string, string[]>();
}

/** An IAM Allow statement. */
export function allow(actions: string[], resources: string[], conditions?: Record<string, unknown>) {
  return new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
}

/** The condition that limits KMS permissions to calls a given AWS service makes on the caller's behalf. */
export function viaService(scope: Construct, service: 's3' | 'secretsmanager'): Record<string, unknown> {
  return { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(scope).region}.amazonaws.com` } };
}

/** What is wrong with one function's overrides, each with how to fix it. */
export function overrideProblems(
  key: string,
  overrides: {
    memorySize?: Size;
    reservedConcurrentExecutions?: number;
    logLevel?: string;
  },
): string[] {
  const problems: string[] = [];
  const at = `functions.${key}`;
  if (overrides.memorySize !== undefined) {
    const mib = overrides.memorySize.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!Number.isInteger(mib) || mib < 128 || mib > 10_240) {
      problems.push(`${at}.memorySize must be 128 to 10240 MiB (whole mebibytes), as Lambda allows`);
    }
  }
  const reserved = overrides.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    problems.push(`${at}.reservedConcurrentExecutions must be a whole number of at least 1, got ${reserved}`);
  }
  if (overrides.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(overrides.logLevel)) {
    problems.push(`${at}.logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${overrides.logLevel}"`);
  }
  return problems;
}
