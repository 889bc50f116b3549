import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { PipelineFunctionName } from '../settings.js';

/**
 * Subnets of a VPC for pipeline functions. A function in a VPC reaches AWS and the internet only
 * through its subnets' routes: a NAT gateway, or VPC endpoints for the services it calls
 * (`FUNCTION_NETWORK_NEEDS`, docs/deploy.md#every-function-in-a-vpc).
 */
export interface PipelineNetwork {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets the functions' network interfaces go in.
   * @default - the VPC's private subnets with egress (`SubnetType.PRIVATE_WITH_EGRESS`)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * The security groups of the functions' network interfaces; they need outbound HTTPS only.
   * @default - a new security group per function: all outbound allowed, no inbound
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * Where the functions that call Apptenticate (the checker and the token-refresher) run: in a VPC,
 * for example to leave through NAT gateways with Elastic IPs the vendor can allowlist (see
 * docs/deploy.md). They also call S3, DynamoDB, Secrets Manager and Lambda: the subnets need a
 * route to them (the NAT gateway, or VPC endpoints).
 */
export interface VendorNetwork extends PipelineNetwork {}

/** The subnets a network without `subnets` puts the functions in. */
export const DEFAULT_SUBNETS: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

/** An AWS service a function calls from its own network, by its VPC endpoint's service name. */
export type NetworkService = 's3' | 'dynamodb' | 'secretsmanager' | 'lambda' | 'events';

/**
 * What each function calls from inside its network. What Lambda does with the function's role (the
 * event source mappings poll the queue and the stream and send failed batches to the DLQ, the logs)
 * and what S3 and Secrets Manager call KMS for happen outside it, so SQS, KMS and CloudWatch Logs
 * need no route. test/infra/network.test.ts holds this to the functions' calls (policy/needed-calls.ts).
 */
export const FUNCTION_NETWORK_NEEDS: Readonly<
  Record<PipelineFunctionName, { readonly services: readonly NetworkService[]; readonly vendor: boolean }>
> = {
  checker: { services: ['s3', 'dynamodb', 'secretsmanager', 'lambda'], vendor: true },
  notifier: { services: ['events'], vendor: false },
  // The presigned POST is signed in the function; the upload goes from the app to S3, not from here.
  api: { services: ['dynamodb'], vendor: false },
  sweeper: { services: ['s3', 'dynamodb'], vendor: false },
  'token-refresher': { services: ['secretsmanager'], vendor: true },
};

/** What is wrong with a VPC for the functions, each with how to fix it; `prop` names it in messages. */
export function networkProblems(prop: string, network: PipelineNetwork | undefined): string[] {
  return network?.securityGroups !== undefined && network.securityGroups.length === 0
    ? [`${prop}.securityGroups must not be empty: leave it out for a new security group per function`]
    : [];
}

/**
 * Warns when functions that call Apptenticate would run in isolated subnets (no NAT in their VPC, as
 * CDK knows it): VPC endpoints bring AWS in reach, not the vendor. A central egress (a transit
 * gateway) CDK cannot see would make it work, hence a warning to acknowledge, not an error.
 */
export function warnAboutIsolatedVendorCalls(
  scope: Construct,
  prop: string,
  network: PipelineNetwork,
  functions: readonly PipelineFunctionName[],
): void {
  const selected = network.vpc.selectSubnets(network.subnets ?? DEFAULT_SUBNETS).subnets;
  const isolated = new Set(network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId));
  if (selected.length === 0 || !selected.every((subnet) => isolated.has(subnet.subnetId))) return;
  const fix =
    prop === 'network'
      ? 'Give them subnets that route through a NAT gateway with vendorNetwork (network stays for the other functions)'
      : `Choose ${prop}.subnets that route through a NAT gateway`;
  Annotations.of(scope).addWarningV2(
    '@selfie-liveness/pipeline:vendorUnreachable',
    `${prop} puts the ${functions.join(' and ')} in isolated subnets: they call Apptenticate on the internet, which VPC endpoints do not reach. ${fix}, or acknowledge this warning if the subnets reach the internet in a way CDK cannot see (a transit gateway) (docs/deploy.md#every-function-in-a-vpc).`,
  );
}
