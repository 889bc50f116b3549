/**
 * Evaluates a synthesized template's IAM with a real policy evaluator (`@cloud-copilot/iam-simulate`):
 * the template's intrinsics resolved to the ARNs a deploy in a fixed account and region would give,
 * each role's identity policies, and the resource policy of the resource a call acts on.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

type Json = unknown;
interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** A policy document as IAM reads it. */
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, Json>[];
}

/** Physical names a deploy would give: the logical id, lower-cased where AWS wants it. */
function physicalName(logicalId: string, type: string): string {
  return type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

/** Resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` to plain values. */
export class TemplateResolver {
  constructor(private readonly template: CfnTemplate) {}

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, Json>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = object[key];
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
          return this.getAtt(id as string, attribute as string);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Json[]];
          return (this.resolve(parts) as Json[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Json];
          return (this.resolve(list) as Json[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, Json];
          return String(this.resolve(source)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, Json>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attribute] = name.split('.');
            return String(attribute ? this.getAtt(id as string, attribute) : this.ref(name));
          });
        }
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.resolve(v)]));
  }

  ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'SelfieLiveness',
    };
    if (id in pseudo) return pseudo[id] as string;
    const resource = this.resourceOf(id);
    const name = physicalName(id, resource.Type);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::KMS::Key':
        return `key-${name}`;
      default:
        return name;
    }
  }

  getAtt(id: string, attribute: string): string {
    const resource = this.resourceOf(id);
    const name = physicalName(id, resource.Type);
    const arns: Record<string, string> = {
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${name}`,
      'AWS::KMS::Key': `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-${name}`,
      'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      'AWS::Events::EventBus': `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`,
      'AWS::Events::Rule': `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`,
      'AWS::SNS::Topic': `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
      'AWS::SecretsManager::Secret': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`,
    };
    if (attribute === 'StreamArn') return `${arns['AWS::DynamoDB::Table']}/stream/2026-12-04T00:00:00.000`;
    if (attribute === 'Name' || attribute === 'QueueName') return name;
    if (attribute === 'Arn' && arns[resource.Type]) return arns[resource.Type] as string;
    throw new Error(`no value for ${id}.${attribute} (${resource.Type})`);
  }

  private resourceOf(id: string): CfnResource {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource;
  }
}

/** The identity policies attached to a role of the template, resolved. */
export function identityPoliciesOf(template: CfnTemplate, resolver: TemplateResolver, roleLogicalId: string) {
  return Object.entries(template.Resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties?.Roles ?? []).includes(`{"Ref":"${roleLogicalId}"}`),
    )
    .map(([id, r]) => ({
      name: id,
      policy: resolver.resolve(r.Properties?.PolicyDocument) as PolicyDocument,
    }));
}

/** A request to evaluate. */
export interface Call {
  /** The role ARN the caller's session belongs to. */
  roleArn: string;
  identityPolicies: { name: string; policy: PolicyDocument }[];
  action: string;
  resourceArn: string;
  resourcePolicy?: PolicyDocument;
  /** The caller's account, when it is not the pipeline's (a cross-account call). */
  principalAccount?: string;
  /** Request context beyond the principal's own keys (`kms:ViaService`, `dynamodb:Attributes`, ...). */
  context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** What IAM decides for one call made by a session of `roleArn`, as a same-account request. */
export async function evaluate(call: Call): Promise<Decision> {
  const roleName = call.roleArn.split('/').at(-1);
  const account = call.principalAccount ?? ACCOUNT;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/${roleName}/session`,
        action: call.action,
        resource: { resource: call.resourceArn, accountId: ACCOUNT },
        contextVariables: {
          'aws:PrincipalArn': call.roleArn,
          'aws:PrincipalAccount': account,
          'aws:PrincipalIsAWSService': 'false',
          'aws:SecureTransport': 'true',
          ...call.context,
        },
      },
      identityPolicies: call.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`${call.action} on ${call.resourceArn}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
