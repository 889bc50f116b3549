import type { TemplateResource, TemplateResources } from '../../tools/package/release-template.js';

/** How CloudFormation treats an update of one resource type. */
export interface ReplacementRule {
  /**
   * The resource holds state or is seen from outside (data, keys, messages, names callers use, a
   * confirmed subscription): its logical id must never change, nor its type.
   */
  readonly pinned: boolean;
  /** Properties whose change replaces the resource ("Update requires: Replacement"), or fails the update. */
  readonly properties: readonly string[];
  /** The CloudFormation page that says so. */
  readonly docs: string;
}

const DOCS = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference';

/**
 * The types whose replacement an upgrade must not cause, with the properties CloudFormation
 * documents as "Update requires: Replacement" (the `createOnlyProperties` of the type's registry
 * schema, as cfn-lint ships them, plus what the page states beyond the schema). A type the stack
 * does not create yet belongs here as soon as it does.
 */
export const REPLACEMENT_RULES: Readonly<Record<string, ReplacementRule>> = {
  // "If you change the value of the KeySpec, KeyUsage, Origin, or MultiRegion properties of an
  // existing KMS key, the update request fails": not a replacement, a failed deploy.
  'AWS::KMS::Key': {
    pinned: true,
    properties: ['KeySpec', 'KeyUsage', 'Origin', 'MultiRegion'],
    docs: `${DOCS}/aws-resource-kms-key.html`,
  },
  'AWS::S3::Bucket': {
    pinned: true,
    properties: ['BucketName', 'BucketNamePrefix', 'BucketNamespace'],
    docs: `${DOCS}/aws-resource-s3-bucket.html`,
  },
  // KeySchema is conditionally create-only in the schema; the page says Replacement for it and for LSIs.
  'AWS::DynamoDB::Table': {
    pinned: true,
    properties: ['TableName', 'KeySchema', 'LocalSecondaryIndexes', 'ImportSourceSpecification'],
    docs: `${DOCS}/aws-resource-dynamodb-table.html`,
  },
  'AWS::SecretsManager::Secret': {
    pinned: true,
    properties: ['Name'],
    docs: `${DOCS}/aws-resource-secretsmanager-secret.html`,
  },
  'AWS::Events::EventBus': {
    pinned: true,
    properties: ['Name'],
    docs: `${DOCS}/aws-resource-events-eventbus.html`,
  },
  'AWS::Events::Archive': {
    pinned: true,
    properties: ['ArchiveName', 'SourceArn'],
    docs: `${DOCS}/aws-resource-events-archive.html`,
  },
  'AWS::EventSchemas::Registry': {
    pinned: true,
    properties: ['RegistryName'],
    docs: `${DOCS}/aws-resource-eventschemas-registry.html`,
  },
  'AWS::EventSchemas::Schema': {
    pinned: true,
    properties: ['RegistryName', 'SchemaName'],
    docs: `${DOCS}/aws-resource-eventschemas-schema.html`,
  },
  'AWS::SQS::Queue': {
    pinned: true,
    properties: ['QueueName', 'FifoQueue'],
    docs: `${DOCS}/aws-resource-sqs-queue.html`,
  },
  'AWS::SNS::Topic': {
    pinned: true,
    properties: ['TopicName', 'FifoTopic'],
    docs: `${DOCS}/aws-resource-sns-topic.html`,
  },
  // A replaced email subscription waits for its recipient to confirm it again: alarms go nowhere.
  'AWS::SNS::Subscription': {
    pinned: true,
    properties: ['Endpoint', 'Protocol', 'TopicArn'],
    docs: `${DOCS}/aws-resource-sns-subscription.html`,
  },
  'AWS::Logs::LogGroup': {
    pinned: true,
    properties: ['LogGroupName'],
    docs: `${DOCS}/aws-resource-logs-loggroup.html`,
  },
  // The API id is in every app's base URL.
  'AWS::ApiGatewayV2::Api': {
    pinned: true,
    properties: ['ProtocolType'],
    docs: `${DOCS}/aws-resource-apigatewayv2-api.html`,
  },
  // A second `$default` stage cannot be created beside the first: a replaced stage fails the deploy.
  'AWS::ApiGatewayV2::Stage': {
    pinned: true,
    properties: ['ApiId', 'StageName'],
    docs: `${DOCS}/aws-resource-apigatewayv2-stage.html`,
  },
  // A new mapping reads the stream again from its StartingPosition: events published twice.
  'AWS::Lambda::EventSourceMapping': {
    pinned: true,
    properties: ['EventSourceArn', 'StartingPosition', 'StartingPositionTimestamp', 'SelfManagedEventSource'],
    docs: `${DOCS}/aws-resource-lambda-eventsourcemapping.html`,
  },
  // Replacing it deletes the bucket's notification configuration, every notification of it
  // (the old resource is deleted after the new one is created). ServiceToken: "Updates are not supported".
  'Custom::S3BucketNotifications': {
    pinned: true,
    properties: ['ServiceToken'],
    docs: `${DOCS}/aws-resource-cloudformation-customresource.html`,
  },
  // Function logical ids may change (their names are generated, and outputs name them); an explicit
  // name, once given, is what callers invoke.
  'AWS::Lambda::Function': {
    pinned: false,
    properties: ['FunctionName', 'PackageType', 'TenancyConfig'],
    docs: `${DOCS}/aws-resource-lambda-function.html`,
  },
};

/** A resource an upgrade from a release would replace (or fail to update). */
export interface Replacement {
  /** The release fixture's variant (`RELEASE_VARIANTS`) it was found in. */
  readonly variant?: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

/** JSON with sorted keys, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function propertyOf(resource: TemplateResource, name: string): unknown {
  return resource.Properties?.[name];
}

/** The logical ids a value names through `Ref`, `Fn::GetAtt` or `Fn::Sub`. */
function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner) && typeof inner[0] === 'string')
        into.add(inner[0]);
      else if (key === 'Fn::GetAtt' && typeof inner === 'string') into.add(inner.split('.')[0] ?? inner);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const match of String(text).matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g))
          into.add(match[1] ?? '');
      }
      referencedIds(inner, into);
    }
  }
  return into;
}

/**
 * What an update from `released` to `current` would replace. Values compare as written: an
 * intrinsic (`Ref`, `Fn::GetAtt`) is the same value while it names the same resource, so a property
 * referencing another resource changes only when the reference does, or when the resource it names
 * is itself replaced (a new queue has a new ARN, so its event-source mapping is replaced too).
 */
export function findReplacements(released: TemplateResources, current: TemplateResources): Replacement[] {
  const found: Replacement[] = [];
  for (const [logicalId, before] of Object.entries(released)) {
    const rule = REPLACEMENT_RULES[before.Type];
    if (!rule) continue;
    const after = current[logicalId];
    const type = before.Type;
    if (!after) {
      if (rule.pinned) {
        found.push({
          logicalId,
          type,
          reason: 'logical id gone: a new resource is created and this one deleted or orphaned',
        });
      }
      continue;
    }
    if (after.Type !== type) {
      if (rule.pinned) found.push({ logicalId, type, reason: `type changed to ${after.Type}` });
      continue;
    }
    for (const name of rule.properties) {
      const was = propertyOf(before, name);
      const is = propertyOf(after, name);
      if (canonical(was) !== canonical(is)) {
        found.push({
          logicalId,
          type,
          reason: `${name} changed: ${canonical(was) ?? '(unset)'} -> ${canonical(is) ?? '(unset)'}`,
        });
      }
    }
  }
  // What references a replaced resource in a replacement property follows it, until nothing more does.
  for (let added = true; added; ) {
    added = false;
    for (const [logicalId, after] of Object.entries(current)) {
      const rule = REPLACEMENT_RULES[after.Type];
      if (!rule || released[logicalId]?.Type !== after.Type) continue;
      if (found.some((r) => r.logicalId === logicalId)) continue;
      for (const name of rule.properties) {
        const replaced = [...referencedIds(propertyOf(after, name))].find((id) =>
          found.some((r) => r.logicalId === id && current[id]),
        );
        if (replaced) {
          found.push({ logicalId, type: after.Type, reason: `${name} names ${replaced}, which is replaced` });
          added = true;
          break;
        }
      }
    }
  }
  return found;
}

/** A replacement a release makes on purpose, announced under Breaking with its migration. */
export interface IntendedReplacement {
  /** The release fixture from which the upgrade replaces it. */
  readonly release: string;
  readonly logicalId: string;
  /** Why it must be replaced, and what an installation does about it. */
  readonly why: string;
  readonly changelog: 'Breaking';
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) {
    const d = (x?.[i] ?? 0) - (y?.[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The text of the `### Breaking` sections of the releases after `release` in a Keep a Changelog
 * file, `## [Unreleased]` included.
 */
export function breakingTextAfter(changelog: string, release: string): string {
  const versions = changelog.split(/^## /m).slice(1);
  return versions
    .filter((section) => {
      const heading = /^\[([^\]]+)\]/.exec(section)?.[1];
      return heading === 'Unreleased' || (heading !== undefined && compareVersions(heading, release) > 0);
    })
    .flatMap((section) =>
      section
        .split(/^### /m)
        .slice(1)
        .filter((sub) => sub.startsWith('Breaking')),
    )
    .join('\n');
}

/**
 * Why the intended replacements of `release` do not account for what was found: a replacement no
 * entry names, an entry whose logical id the changelog's Breaking sections after `release` never
 * mention, an entry for something no longer replaced. Empty when they agree.
 */
export function unaccountedReplacements(
  release: string,
  found: readonly Replacement[],
  intended: readonly IntendedReplacement[],
  changelog: string,
): string[] {
  const mine = intended.filter((entry) => entry.release === release);
  const breaking = breakingTextAfter(changelog, release);
  const problems: string[] = [];
  for (const replacement of found) {
    const entry = mine.find((e) => e.logicalId === replacement.logicalId);
    if (!entry) {
      problems.push(
        `${replacement.type} ${replacement.logicalId} would be replaced on upgrade from ${release}` +
          `${replacement.variant ? ` (${replacement.variant})` : ''}: ${replacement.reason}. ` +
          `Keep it (${REPLACEMENT_RULES[replacement.type]?.docs}), or announce it under Breaking in CHANGELOG.md and add it to INTENDED_REPLACEMENTS`,
      );
    } else if (!breaking.includes(entry.logicalId)) {
      problems.push(
        `${entry.logicalId} is an intended replacement from ${release}, but no Breaking section after ${release} in CHANGELOG.md names it`,
      );
    }
  }
  for (const entry of mine) {
    if (!found.some((r) => r.logicalId === entry.logicalId)) {
      problems.push(
        `${entry.logicalId} is listed as an intended replacement from ${release} but is not replaced`,
      );
    }
  }
  return [...new Set(problems)];
}
