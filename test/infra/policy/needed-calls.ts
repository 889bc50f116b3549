/**
 * Every AWS call each pipeline function makes, as IAM sees it: the action and the resource it acts
 * on. Derived from the functions' code (each SDK command they send) and from what Lambda does with
 * the function's role on its behalf (the event source mappings read the queue and the stream, and
 * send a failed stream batch to the notifier's DLQ; S3 and Secrets Manager call KMS as the caller).
 *
 * Two tests hold it true: the policy test (`policies.test.ts`) evaluates each entry against the
 * synthesized template's role and resource policies and expects it allowed; the calls test
 * (`observed-calls.test.ts`) runs the local pipeline and expects every call a function really makes
 * to be listed here.
 */
import type { PipelineFunctionName } from '../../../infra/settings.js';

/** A resource of the template, by what it is to the pipeline. */
export type PipelineResource =
  | 'selfieObject'
  | 'selfieBucket'
  | 'selfieQueue'
  | 'notifierDeadLetterQueue'
  | 'checkItem'
  | 'limitCounter'
  | 'sweepIndex'
  | 'tableStream'
  | 'eventBus'
  | 'tokenSecret'
  | 'credentialsSecret'
  | 'tokenRefresherFunction'
  | 'key';

/** One call: the IAM action, the resource, and how the call reaches it. */
export interface NeededCall {
  readonly action: string;
  readonly resource: PipelineResource;
  /**
   * `code`: the function's own SDK call. `lambda`: Lambda calls it with the function's role (event
   * source mappings, on-failure destinations). `s3` / `secretsmanager`: that service calls KMS as
   * the function (`kms:ViaService`).
   */
  readonly via: 'code' | 'lambda' | 's3' | 'secretsmanager';
}

const code = (action: string, resource: PipelineResource): NeededCall => ({ action, resource, via: 'code' });
const lambda = (action: string, resource: PipelineResource): NeededCall => ({
  action,
  resource,
  via: 'lambda',
});

/** What each function needs; nothing more is granted (the policy test also checks the reverse). */
export const NEEDED_CALLS: Readonly<Record<PipelineFunctionName, readonly NeededCall[]>> = {
  checker: [
    lambda('sqs:ReceiveMessage', 'selfieQueue'),
    lambda('sqs:DeleteMessage', 'selfieQueue'),
    lambda('sqs:ChangeMessageVisibility', 'selfieQueue'),
    lambda('sqs:GetQueueAttributes', 'selfieQueue'),
    code('s3:GetObject', 'selfieObject'),
    code('s3:DeleteObject', 'selfieObject'),
    { action: 'kms:Decrypt', resource: 'key', via: 's3' },
    code('dynamodb:UpdateItem', 'checkItem'),
    code('secretsmanager:GetSecretValue', 'tokenSecret'),
    { action: 'kms:Decrypt', resource: 'key', via: 'secretsmanager' },
    code('lambda:InvokeFunction', 'tokenRefresherFunction'),
  ],
  api: [
    code('dynamodb:PutItem', 'checkItem'),
    code('dynamodb:GetItem', 'checkItem'),
    code('dynamodb:UpdateItem', 'limitCounter'),
    // The presigned POST is signed with the api's role: the app's upload is the api's PutObject.
    code('s3:PutObject', 'selfieObject'),
    { action: 'kms:GenerateDataKey', resource: 'key', via: 's3' },
  ],
  sweeper: [
    code('dynamodb:Query', 'sweepIndex'),
    code('dynamodb:GetItem', 'checkItem'),
    code('dynamodb:UpdateItem', 'checkItem'),
    code('s3:ListBucket', 'selfieBucket'),
    code('s3:DeleteObject', 'selfieObject'),
  ],
  notifier: [
    lambda('dynamodb:DescribeStream', 'tableStream'),
    lambda('dynamodb:GetRecords', 'tableStream'),
    lambda('dynamodb:GetShardIterator', 'tableStream'),
    lambda('sqs:SendMessage', 'notifierDeadLetterQueue'),
    code('events:PutEvents', 'eventBus'),
  ],
  'token-refresher': [
    code('secretsmanager:GetSecretValue', 'credentialsSecret'),
    code('secretsmanager:GetSecretValue', 'tokenSecret'),
    code('secretsmanager:PutSecretValue', 'tokenSecret'),
    { action: 'kms:Decrypt', resource: 'key', via: 'secretsmanager' },
    { action: 'kms:GenerateDataKey', resource: 'key', via: 'secretsmanager' },
  ],
};
