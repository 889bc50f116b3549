/**
 * The synthesized template's IAM, evaluated: every call a function needs is allowed by its role
 * together with the resource policies, and a role of the account the pipeline does not name cannot
 * touch a selfie, the queue, the bus, the table or a secret, even with `service:*` on `*`.
 */
import type { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERDICT_ATTRIBUTES } from '../../../infra/constructs/data-perimeter.js';
import type { LivenessPipeline } from '../../../infra/liveness-pipeline.js';
import {
  LivenessPipelineStack,
  type LivenessPipelineStackProps,
} from '../../../infra/liveness-pipeline-stack.js';
import { FUNCTION_NAMES, type PipelineFunctionName } from '../../../infra/settings.js';
import { createTestApp } from '../support.js';
import {
  ACCOUNT,
  type CfnTemplate,
  type Decision,
  evaluate,
  identityPoliciesOf,
  type PolicyDocument,
  REGION,
  TemplateResolver,
} from './evaluator.js';
import { NEEDED_CALLS, type NeededCall, type PipelineResource } from './needed-calls.js';

const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/liveness-operator`;
const UPLOADER = `arn:aws:iam::${ACCOUNT}:role/onboarding-backend`;
const INTRUDER = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const CHECK_ID = '0b5e2a4c-1d2e-4f60-8a7b-9c0d1e2f3a4b';
/** What the api writes when it creates a check (shared/check-repository.ts createAwaitingUpload). */
const API_CHECK_ATTRIBUTES = [
  'checkId',
  'status',
  'version',
  'createdAt',
  'updatedAt',
  'attempts',
  'uploadExpiresAt',
  'sweepStatus',
  'sweepAt',
  'expiresAt',
  'device',
  'reference',
  'contentType',
  'owner',
];
/** The intruder's identity policy: everything on everything, in the services that hold the data. */
const EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:*', 'sqs:*', 'events:*', 'dynamodb:*', 'secretsmanager:*', 'kms:*', 'lambda:*'],
      Resource: '*',
    },
  ],
};

interface World {
  template: CfnTemplate;
  resolver: TemplateResolver;
  pipeline: LivenessPipeline;
  stack: Stack;
  arn(resource: PipelineResource): string;
  policyOf(resource: PipelineResource): PolicyDocument | undefined;
  roleArn(fn: PipelineFunctionName): string;
  roleLogicalId(fn: PipelineFunctionName): string;
}

let world: World;
const cleanups: (() => void)[] = [];

/** Synthesizes the ready stack with `props`, in an app removed after the file's tests. */
function synthStack(id: string, props: LivenessPipelineStackProps) {
  const test = createTestApp();
  cleanups.push(test.cleanup);
  const stack = new LivenessPipelineStack(test.app, id, props);
  return { stack, template: test.app.synth().getStackByName(id).template as CfnTemplate };
}

beforeAll(() => {
  const { stack, template } = synthStack('SelfieLiveness', {
    operatorRoleArns: [OPERATOR],
    uploaderRoleArns: [UPLOADER],
  });
  world = buildWorld(stack, template);
});
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function buildWorld(stack: LivenessPipelineStack, template: CfnTemplate): World {
  const resolver = new TemplateResolver(template);
  const p = stack.pipeline;
  const value = (token: string) => resolver.resolve(stack.resolve(token)) as string;
  const logicalId = (token: string) => {
    const resolved = stack.resolve(token) as { Ref?: string; 'Fn::GetAtt'?: string[] };
    return (resolved.Ref ?? resolved['Fn::GetAtt']?.[0]) as string;
  };
  const resourcesOfType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
  const bucketArn = value(p.bucket.bucketArn);
  const tableArn = value(p.table.tableArn);
  const arns: Record<PipelineResource, string> = {
    selfieObject: `${bucketArn}/selfies/${CHECK_ID}`,
    selfieBucket: bucketArn,
    selfieQueue: value(p.selfieQueue.queueArn),
    notifierDeadLetterQueue: value(p.notifierDeadLetterQueue.queueArn),
    checkItem: tableArn,
    limitCounter: tableArn,
    sweepIndex: `${tableArn}/index/bySweep`,
    tableStream: value(p.table.tableStreamArn as string),
    eventBus: value(p.eventBus.eventBusArn),
    tokenSecret: value(p.tokenSecret.secretArn),
    credentialsSecret: value(p.credentialsSecret.secretArn),
    tokenRefresherFunction: value(p.functions['token-refresher'].function.functionArn),
    key: value(p.encryptionKey.keyArn),
  };
  const tableDoc = template.Resources[logicalId(p.table.tableArn)]?.Properties?.ResourcePolicy as
    | { PolicyDocument: unknown }
    | undefined;
  const busStatements = resourcesOfType('AWS::Events::EventBusPolicy')
    .filter(
      (r) =>
        JSON.stringify(r.Properties?.EventBusName) === JSON.stringify(stack.resolve(p.eventBus.eventBusName)),
    )
    .map((r) => resolver.resolve(r.Properties?.Statement) as Record<string, unknown>);
  const byRef = (type: string, property: string, token: string, document = 'PolicyDocument') => {
    const ref = JSON.stringify(stack.resolve(token));
    const found = resourcesOfType(type).find((r) =>
      JSON.stringify(r.Properties?.[property] ?? '').includes(ref),
    );
    return found ? (resolver.resolve(found.Properties?.[document]) as PolicyDocument) : undefined;
  };
  const keyPolicy = template.Resources[logicalId(p.encryptionKey.keyArn)]?.Properties?.KeyPolicy;
  const policies: Partial<Record<PipelineResource, PolicyDocument>> = {
    selfieObject: byRef('AWS::S3::BucketPolicy', 'Bucket', p.bucket.bucketName),
    selfieBucket: byRef('AWS::S3::BucketPolicy', 'Bucket', p.bucket.bucketName),
    selfieQueue: byRef('AWS::SQS::QueuePolicy', 'Queues', p.selfieQueue.queueUrl),
    notifierDeadLetterQueue: byRef('AWS::SQS::QueuePolicy', 'Queues', p.notifierDeadLetterQueue.queueUrl),
    ...(tableDoc
      ? Object.fromEntries(
          (['checkItem', 'limitCounter', 'sweepIndex'] as const).map((r) => [
            r,
            resolver.resolve(tableDoc.PolicyDocument) as PolicyDocument,
          ]),
        )
      : {}),
    ...(busStatements.length > 0 ? { eventBus: { Version: '2012-10-17', Statement: busStatements } } : {}),
    tokenSecret: byRef(
      'AWS::SecretsManager::ResourcePolicy',
      'SecretId',
      p.tokenSecret.secretArn,
      'ResourcePolicy',
    ),
    credentialsSecret: byRef(
      'AWS::SecretsManager::ResourcePolicy',
      'SecretId',
      p.credentialsSecret.secretArn,
      'ResourcePolicy',
    ),
    ...(keyPolicy ? { key: resolver.resolve(keyPolicy) as PolicyDocument } : {}),
  };
  return {
    template,
    resolver,
    pipeline: p,
    stack,
    arn: (resource) => arns[resource],
    policyOf: (resource) => policies[resource],
    roleArn: (fn) => value(p.functions[fn].role.roleArn),
    roleLogicalId: (fn) => logicalId(p.functions[fn].role.roleArn),
  };
}

/** The request context a call carries, as AWS would fill it for this pipeline's calls. */
function contextOf(fn: PipelineFunctionName, call: NeededCall): Record<string, string | string[]> {
  if (call.via === 's3' || call.via === 'secretsmanager') {
    return { 'kms:ViaService': `${call.via}.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
  }
  switch (call.resource) {
    case 'selfieBucket':
      return { 's3:prefix': 'selfies/' };
    case 'checkItem':
      return {
        'dynamodb:LeadingKeys': [CHECK_ID],
        'dynamodb:Attributes':
          fn === 'api' ? API_CHECK_ATTRIBUTES : ['checkId', 'status', 'decidedAt', 'result', 'updatedAt'],
      };
    case 'limitCounter':
      return {
        'dynamodb:LeadingKeys': ['owner#user-1#minute'],
        'dynamodb:Attributes': ['count', 'expiresAt'],
      };
    case 'eventBus':
      return { 'events:source': ['selfie-liveness'], 'events:detail-type': ['Liveness Check Passed'] };
    default:
      return {};
  }
}

async function decide(
  roleArn: string,
  identityPolicies: { name: string; policy: PolicyDocument }[],
  action: string,
  resource: PipelineResource,
  context: Record<string, string | string[]> = {},
): Promise<Decision> {
  const policy = world.policyOf(resource);
  return await evaluate({
    roleArn,
    identityPolicies,
    action,
    resourceArn: world.arn(resource),
    ...(policy ? { resourcePolicy: policy } : {}),
    context,
  });
}

describe('the evaluator, on cases AWS documents', () => {
  const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:q`;
  const allowAll = [{ name: 'all', policy: EVERYTHING }];
  it('lets a same-account resource policy deny what the identity policy allows', async () => {
    const deny: PolicyDocument = {
      Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:SendMessage', Resource: queue }],
    };
    await expect(
      evaluate({
        roleArn: INTRUDER,
        identityPolicies: allowAll,
        action: 'sqs:SendMessage',
        resourceArn: queue,
        resourcePolicy: deny,
      }),
    ).resolves.toBe('ExplicitlyDenied');
    await expect(
      evaluate({
        roleArn: INTRUDER,
        identityPolicies: allowAll,
        action: 'sqs:SendMessage',
        resourceArn: queue,
      }),
    ).resolves.toBe('Allowed');
  });
  it('matches aws:PrincipalArn with the role ARN of a session', async () => {
    const deny: PolicyDocument = {
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:SendMessage',
          Resource: queue,
          Condition: { ArnNotLike: { 'aws:PrincipalArn': [OPERATOR] } },
        },
      ],
    };
    const call = {
      identityPolicies: allowAll,
      action: 'sqs:SendMessage',
      resourceArn: queue,
      resourcePolicy: deny,
    };
    await expect(evaluate({ ...call, roleArn: OPERATOR })).resolves.toBe('Allowed');
    await expect(evaluate({ ...call, roleArn: INTRUDER })).resolves.toBe('ExplicitlyDenied');
  });
  it('refuses a KMS call the key policy does not allow, and honours kms:ViaService', async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k`;
    const rootOnly: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const viaS3 = [
      {
        name: 'via',
        policy: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: key,
              Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } },
            },
          ],
        },
      },
    ];
    const call = { roleArn: INTRUDER, identityPolicies: viaS3, action: 'kms:Decrypt', resourceArn: key };
    await expect(
      evaluate({
        ...call,
        resourcePolicy: rootOnly,
        context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
      }),
    ).resolves.toBe('Allowed');
    await expect(
      evaluate({
        ...call,
        resourcePolicy: rootOnly,
        context: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` },
      }),
    ).resolves.not.toBe('Allowed');
    await expect(
      evaluate({
        ...call,
        resourcePolicy: { Statement: [] },
        context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
      }),
    ).resolves.not.toBe('Allowed');
  });
  it('matches events:source with ForAnyValue for a one-entry PutEvents', async () => {
    const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/b`;
    const deny: PolicyDocument = {
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: bus,
          Condition: { 'ForAnyValue:StringEquals': { 'events:source': ['selfie-liveness'] } },
        },
      ],
    };
    const call = {
      roleArn: INTRUDER,
      identityPolicies: allowAll,
      action: 'events:PutEvents',
      resourceArn: bus,
      resourcePolicy: deny,
    };
    await expect(evaluate({ ...call, context: { 'events:source': ['selfie-liveness'] } })).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(evaluate({ ...call, context: { 'events:source': ['orders'] } })).resolves.toBe('Allowed');
  });
});

describe('what the functions need', () => {
  const cases = FUNCTION_NAMES.flatMap((fn) =>
    NEEDED_CALLS[fn].map((call) => ({
      fn,
      call,
      name: `${fn} ${call.action} on ${call.resource} (${call.via})`,
    })),
  );
  it.each(cases)('allows $name', async ({ fn, call }) => {
    const identity = identityPoliciesOf(world.template, world.resolver, world.roleLogicalId(fn));
    await expect(
      decide(world.roleArn(fn), identity, call.action, call.resource, contextOf(fn, call)),
    ).resolves.toBe('Allowed');
  });
});

describe('a role of the account the pipeline does not name, with s3:*, sqs:*, events:*, dynamodb:*, secretsmanager:*, kms:* on *', () => {
  const intruder = [{ name: 'everything', policy: EVERYTHING }];
  const refused = async (
    action: string,
    resource: PipelineResource,
    context: Record<string, string | string[]> = {},
  ) => expect(decide(INTRUDER, intruder, action, resource, context)).resolves.toBe('ExplicitlyDenied');

  it.each([
    ['s3:PutObject', {}],
    ['s3:PutObject', { 's3:x-amz-server-side-encryption': 'AES256' }],
    ['s3:PutObject', { 's3:x-amz-server-side-encryption': 'aws:kms' }],
    ['s3:ReplicateObject', {}],
    ['s3:RestoreObject', {}],
  ])('cannot write a selfie: %s %j', async (action, context) => {
    await refused(action, 'selfieObject', context);
  });
  it.each(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes'])(
    'cannot read a selfie: %s',
    async (action) => {
      await refused(action, 'selfieObject');
    },
  );
  it('cannot send to the selfie queue (a forged notification)', async () => {
    await refused('sqs:SendMessage', 'selfieQueue');
  });
  it("cannot receive or delete the selfie queue's notifications", async () => {
    await refused('sqs:ReceiveMessage', 'selfieQueue');
    await refused('sqs:DeleteMessage', 'selfieQueue');
  });
  it("cannot put an event with the pipeline's source on its bus", async () => {
    await refused('events:PutEvents', 'eventBus', { 'events:source': ['selfie-liveness'] });
  });
  it.each([
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:PartiQLInsert',
    'dynamodb:PartiQLUpdate',
    'dynamodb:PartiQLDelete',
  ])('cannot write the check table: %s', async (action) => {
    await refused(action, 'checkItem', {
      'dynamodb:LeadingKeys': [CHECK_ID],
      'dynamodb:Attributes': ['status'],
    });
  });
  it.each(['tokenSecret', 'credentialsSecret'] as const)('cannot read the %s', async (secret) => {
    await refused('secretsmanager:GetSecretValue', secret);
  });
  it.each(['tokenSecret', 'credentialsSecret'] as const)('cannot write the %s', async (secret) => {
    await refused('secretsmanager:PutSecretValue', secret);
  });
  it('cannot decrypt with the key, directly or through a service', async () => {
    await refused('kms:Decrypt', 'key');
    await refused('kms:Decrypt', 'key', { 'kms:ViaService': `s3.${REGION}.amazonaws.com` });
    await refused('kms:Decrypt', 'key', { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` });
  });
});

describe('the api role', () => {
  const api = () => identityPoliciesOf(world.template, world.resolver, world.roleLogicalId('api'));
  const apiWrites = (action: string, context: Record<string, string | string[]>, extra?: PolicyDocument) =>
    decide(
      world.roleArn('api'),
      extra ? [...api(), { name: 'extra', policy: extra }] : api(),
      action,
      'checkItem',
      context,
    );

  it.each(VERDICT_ATTRIBUTES)(
    'cannot write a verdict attribute (%s), even granted dynamodb:*',
    async (attribute) => {
      const context = {
        'dynamodb:LeadingKeys': [CHECK_ID],
        'dynamodb:Attributes': [...API_CHECK_ATTRIBUTES, attribute],
      };
      await expect(apiWrites('dynamodb:PutItem', context)).resolves.not.toBe('Allowed');
      await expect(apiWrites('dynamodb:PutItem', context, EVERYTHING)).resolves.toBe('ExplicitlyDenied');
    },
  );
  it('cannot update, delete or batch-write a check item, even granted dynamodb:*', async () => {
    const context = { 'dynamodb:LeadingKeys': [CHECK_ID], 'dynamodb:Attributes': ['status'] };
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLUpdate']) {
      await expect(apiWrites(action, context, EVERYTHING)).resolves.toBe('ExplicitlyDenied');
    }
  });
  it('creates a check awaiting its upload', async () => {
    const context = { 'dynamodb:LeadingKeys': [CHECK_ID], 'dynamodb:Attributes': API_CHECK_ATTRIBUTES };
    await expect(apiWrites('dynamodb:PutItem', context)).resolves.toBe('Allowed');
  });
});

describe('the roles the installation names', () => {
  const everything = [{ name: 'everything', policy: EVERYTHING }];
  it('lets operators republish, redrive and rotate the credentials', async () => {
    await expect(
      decide(OPERATOR, everything, 'events:PutEvents', 'eventBus', { 'events:source': ['selfie-liveness'] }),
    ).resolves.toBe('Allowed');
    await expect(decide(OPERATOR, everything, 'sqs:SendMessage', 'selfieQueue')).resolves.toBe('Allowed');
    await expect(
      decide(OPERATOR, everything, 'secretsmanager:GetSecretValue', 'credentialsSecret'),
    ).resolves.toBe('Allowed');
    await expect(
      decide(OPERATOR, everything, 'secretsmanager:PutSecretValue', 'credentialsSecret'),
    ).resolves.toBe('Allowed');
    await expect(
      decide(OPERATOR, everything, 'kms:Decrypt', 'key', {
        'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
      }),
    ).resolves.toBe('Allowed');
  });
  it('never lets operators read a selfie or the token secret, or write the table', async () => {
    await expect(decide(OPERATOR, everything, 's3:GetObject', 'selfieObject')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(decide(OPERATOR, everything, 'secretsmanager:GetSecretValue', 'tokenSecret')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(
      decide(OPERATOR, everything, 'dynamodb:PutItem', 'checkItem', { 'dynamodb:Attributes': ['status'] }),
    ).resolves.toBe('ExplicitlyDenied');
  });
  it('lets uploaders put selfies and nothing else the pipeline guards', async () => {
    await expect(decide(UPLOADER, everything, 's3:PutObject', 'selfieObject')).resolves.toBe('Allowed');
    await expect(decide(UPLOADER, everything, 's3:GetObject', 'selfieObject')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(decide(UPLOADER, everything, 'sqs:SendMessage', 'selfieQueue')).resolves.toBe(
      'ExplicitlyDenied',
    );
  });
});

describe('a role outside the pipeline, given exactly what a function has', () => {
  it.each(FUNCTION_NAMES)("gets none of the %s function's guarded calls", async (fn) => {
    const borrowed = identityPoliciesOf(world.template, world.resolver, world.roleLogicalId(fn));
    // Reads of the table, the bucket's listing and the stream are not guarded: they decide nothing.
    const guardedResources: PipelineResource[] = [
      'selfieObject',
      'checkItem',
      'eventBus',
      'tokenSecret',
      'credentialsSecret',
    ];
    // Deleting a selfie is not guarded either: it can only make a check end without a verdict.
    const guarded = NEEDED_CALLS[fn].filter(
      (call) =>
        guardedResources.includes(call.resource) &&
        !['dynamodb:GetItem', 's3:DeleteObject'].includes(call.action),
    );
    expect(guarded.length).toBeGreaterThan(0);
    for (const call of guarded) {
      await expect(
        decide(INTRUDER, borrowed, call.action, call.resource, contextOf(fn, call)),
      ).resolves.not.toBe('Allowed');
    }
  });
});

describe('subscriber accounts on the bus', () => {
  const SUBSCRIBER = '444455556666';
  let busPolicy: PolicyDocument;
  let ruleArn: string;
  beforeAll(() => {
    const { stack, template } = synthStack('WithSubscribers', { subscriberAccounts: [SUBSCRIBER] });
    const resolver = new TemplateResolver(template);
    busPolicy = {
      Version: '2012-10-17',
      Statement: Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Events::EventBusPolicy')
        .map((r) => resolver.resolve(r.Properties?.Statement) as Record<string, unknown>),
    };
    const busName = resolver.resolve(stack.resolve(stack.pipeline.eventBus.eventBusName)) as string;
    ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${busName}/their-rule`;
  });

  const putRule = (context: Record<string, string | string[]>) =>
    evaluate({
      roleArn: `arn:aws:iam::${SUBSCRIBER}:role/subscriber`,
      principalAccount: SUBSCRIBER,
      identityPolicies: [{ name: 'events', policy: EVERYTHING }],
      action: 'events:PutRule',
      resourceArn: ruleArn,
      resourcePolicy: busPolicy,
      context: { 'events:creatorAccount': SUBSCRIBER, ...context },
    });

  it('lets a subscriber account create a rule for the liveness events', async () => {
    await expect(putRule({ 'events:source': ['selfie-liveness'] })).resolves.toBe('Allowed');
  });
  it('refuses a rule whose pattern names no source (it would match every event on the bus)', async () => {
    await expect(putRule({})).resolves.not.toBe('Allowed');
  });
  it('refuses a rule that also matches another source', async () => {
    await expect(putRule({ 'events:source': ['selfie-liveness', 'orders'] })).resolves.not.toBe('Allowed');
  });
});
