import { readdirSync, readFileSync } from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import {
  type ReleaseTemplate,
  synthesizeVariants,
  type TemplateResources,
} from '../../tools/package/release-template.js';
import { cdkJsonContext } from './support.js';
import {
  findReplacements,
  type IntendedReplacement,
  type Replacement,
  unaccountedReplacements,
} from './upgrade-guard.js';

/**
 * Replacements a change makes on purpose. An entry is accepted only while a `### Breaking` section
 * of CHANGELOG.md after its `release` (Unreleased included) names its logical id, with the
 * migration, so no replacement ships unannounced; add one only in the change that announces it,
 * and have it reviewed. Entries stay after the release: an installation may upgrade from an old
 * release directly.
 */
const INTENDED_REPLACEMENTS: readonly IntendedReplacement[] = [
  {
    release: '0.1.0',
    logicalId: 'PipelineEventBus6FAF1DE3',
    why:
      'The bus is named after the stack name (Names.uniqueResourceName), so two stages in one account get ' +
      'two buses; a stack whose stackName is not its construct id, or one in a Stage, gets a new name ' +
      '(variants named and staged). eventBusName keeps the old one; the synth warns with it.',
    changelog: 'Breaking',
  },
  {
    release: '0.1.0',
    logicalId: 'PipelineEventArchiveD2D9B0DB',
    why:
      'The archive names its bus (SourceArn), so it follows the bus above wherever the bus is renamed ' +
      '(variants named and staged): archived events stay with the old archive. eventBusName keeps both.',
    changelog: 'Breaking',
  },
];

const RELEASES_DIR = new URL('./fixtures/releases/', import.meta.url);
const RELEASES = readdirSync(RELEASES_DIR)
  .filter((file) => file.endsWith('.template.json'))
  .map((file) => JSON.parse(readFileSync(new URL(file, RELEASES_DIR), 'utf8')) as ReleaseTemplate);
const CHANGELOG = readFileSync(new URL('../../CHANGELOG.md', import.meta.url), 'utf8');
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let today: ReleaseTemplate['variants'];

beforeAll(() => {
  today = synthesizeVariants(LivenessPipelineStack, { cdk, ec2 }, cdkJsonContext());
});

const variantOf = (name: string) => {
  const variant = today[name];
  if (!variant) throw new Error(`no variant ${name}`);
  return variant.resources;
};

describe('upgrading from a release', () => {
  it('keeps the fixture of the version package.json names', () => {
    // Each release adds its fixture (tools/package/release-template.ts).
    expect(RELEASES.map((r) => r.release)).toContain(VERSION);
  });

  it.each(RELEASES.map((r) => [r.release, r] as const))(
    'replaces nothing stateful of %s that CHANGELOG.md does not announce under Breaking',
    (release, fixture) => {
      const found: Replacement[] = Object.entries(fixture.variants).flatMap(([variant, { resources }]) =>
        findReplacements(resources, variantOf(variant)).map((r) => ({ ...r, variant })),
      );
      expect(unaccountedReplacements(release, found, INTENDED_REPLACEMENTS, CHANGELOG)).toEqual([]);
    },
  );

  it.each(RELEASES.map((r) => [r.release, r] as const))(
    'synthesizes every variant the %s fixture holds, with the same stack id and stage',
    (_release, fixture) => {
      for (const [variant, { stackId, stage }] of Object.entries(fixture.variants)) {
        expect({ stackId: today[variant]?.stackId, stage: today[variant]?.stage }).toEqual({
          stackId,
          stage,
        });
      }
    },
  );
});

/** The one logical id of a type in a template (optionally the one matching `where`). */
function idOf(
  resources: TemplateResources,
  type: string,
  where: (properties: Record<string, unknown>) => boolean = () => true,
): string {
  const ids = Object.entries(resources)
    .filter(([, r]) => r.Type === type && where(r.Properties ?? {}))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** What the guard reports when today's default stack becomes what `change` makes of it. */
function guardAfter(change: (resources: TemplateResources) => void): Replacement[] {
  const before = variantOf('default');
  const after = structuredClone(before);
  change(after);
  return findReplacements(before, after);
}

function propertiesOf(resources: TemplateResources, id: string): Record<string, unknown> {
  const properties = resources[id]?.Properties;
  if (!properties) throw new Error(`${id} has no properties`);
  return properties as Record<string, unknown>;
}

const selfieQueueId = (r: TemplateResources) =>
  idOf(r, 'AWS::SQS::Queue', (p) => JSON.stringify(p).includes('SelfieDeadLetterQueue'));
const queueMappingId = (r: TemplateResources) =>
  idOf(r, 'AWS::Lambda::EventSourceMapping', (p) => p.StartingPosition === undefined);
/** The checker: the function of the queue's mapping. */
const checkerId = (r: TemplateResources) =>
  (propertiesOf(r, queueMappingId(r)).FunctionName as { Ref: string }).Ref;
const notifierMappingId = (r: TemplateResources) =>
  idOf(r, 'AWS::Lambda::EventSourceMapping', (p) => p.StartingPosition !== undefined);

describe('the upgrade guard', () => {
  it('reports the bus given another name, and its archive, whose SourceArn follows the new bus', () => {
    const found = guardAfter((r) => {
      propertiesOf(r, idOf(r, 'AWS::Events::EventBus')).Name = 'Pipeline-liveness-events';
    });
    const bus = idOf(variantOf('default'), 'AWS::Events::EventBus');
    expect(found).toEqual([
      expect.objectContaining({ logicalId: bus, reason: expect.stringMatching(/^Name changed/) }),
      {
        logicalId: idOf(variantOf('default'), 'AWS::Events::Archive'),
        type: 'AWS::Events::Archive',
        reason: `SourceArn names ${bus}, which is replaced`,
      },
    ]);
  });

  it("reports the selfie queue given a QueueName, and the checker's mapping of it", () => {
    const found = guardAfter((r) => {
      propertiesOf(r, selfieQueueId(r)).QueueName = 'selfies';
    });
    const queue = selfieQueueId(variantOf('default'));
    expect(found).toEqual([
      { logicalId: queue, type: 'AWS::SQS::Queue', reason: 'QueueName changed: (unset) -> "selfies"' },
      {
        logicalId: queueMappingId(variantOf('default')),
        type: 'AWS::Lambda::EventSourceMapping',
        reason: `EventSourceArn names ${queue}, which is replaced`,
      },
    ]);
  });

  it('reports the $default stage under another logical id', () => {
    const found = guardAfter((r) => {
      const id = idOf(r, 'AWS::ApiGatewayV2::Stage');
      r.PipelineHttpApiStage = r[id] as TemplateResources[string];
      delete r[id];
    });
    expect(found).toEqual([
      expect.objectContaining({
        logicalId: idOf(variantOf('default'), 'AWS::ApiGatewayV2::Stage'),
        reason: expect.stringMatching(/^logical id gone/),
      }),
    ]);
  });

  it("reports the notifier's stream mapping starting at LATEST", () => {
    const found = guardAfter((r) => {
      propertiesOf(r, notifierMappingId(r)).StartingPosition = 'LATEST';
    });
    expect(found).toEqual([
      {
        logicalId: notifierMappingId(variantOf('default')),
        type: 'AWS::Lambda::EventSourceMapping',
        reason: 'StartingPosition changed: "TRIM_HORIZON" -> "LATEST"',
      },
    ]);
  });

  it('reports the bucket notifications dropped', () => {
    const found = guardAfter((r) => {
      delete r[idOf(r, 'Custom::S3BucketNotifications')];
    });
    expect(found).toEqual([
      expect.objectContaining({
        type: 'Custom::S3BucketNotifications',
        reason: expect.stringMatching(/^logical id gone/),
      }),
    ]);
  });

  it('reports a mapping whose EventSourceArn names another queue', () => {
    const found = guardAfter((r) => {
      propertiesOf(r, queueMappingId(r)).EventSourceArn = {
        'Fn::GetAtt': ['PipelineEventTapQueue6F05BB8D', 'Arn'],
      };
    });
    expect(found).toEqual([
      expect.objectContaining({
        logicalId: queueMappingId(variantOf('default')),
        reason: expect.stringMatching(/^EventSourceArn changed: \{"Fn::GetAtt":\["PipelineSelfieQueue/),
      }),
    ]);
  });

  it('reports the table given another key schema, and the mapping of its stream', () => {
    const found = guardAfter((r) => {
      propertiesOf(r, idOf(r, 'AWS::DynamoDB::Table')).KeySchema = [{ AttributeName: 'id', KeyType: 'HASH' }];
    });
    const table = idOf(variantOf('default'), 'AWS::DynamoDB::Table');
    expect(found).toEqual([
      expect.objectContaining({ logicalId: table, reason: expect.stringMatching(/^KeySchema changed/) }),
      {
        logicalId: notifierMappingId(variantOf('default')),
        type: 'AWS::Lambda::EventSourceMapping',
        reason: `EventSourceArn names ${table}, which is replaced`,
      },
    ]);
  });

  it('reports nothing for in-place updates: code, a referenced queue, batch size, a function renamed', () => {
    const found = guardAfter((r) => {
      propertiesOf(r, selfieQueueId(r)).VisibilityTimeout = 999;
      propertiesOf(r, notifierMappingId(r)).BatchSize = 7;
      const checker = checkerId(r);
      propertiesOf(r, checker).Code = { ZipFile: 'other code' };
      r.RenamedFunction = r[checker] as TemplateResources[string];
      delete r[checker];
    });
    expect(found).toEqual([]);
  });

  it('reports a function given an explicit FunctionName', () => {
    const found = guardAfter((r) => {
      propertiesOf(r, checkerId(r)).FunctionName = 'checker';
    });
    expect(found).toEqual([
      expect.objectContaining({ reason: 'FunctionName changed: (unset) -> "checker"' }),
    ]);
  });
});

describe('intended replacements', () => {
  const bus: Replacement = {
    logicalId: 'PipelineEventBus6FAF1DE3',
    type: 'AWS::Events::EventBus',
    reason: 'Name changed',
  };
  const entry: IntendedReplacement = {
    release: '0.1.0',
    logicalId: 'PipelineEventBus6FAF1DE3',
    why: 'a stack-scoped bus name',
    changelog: 'Breaking',
  };
  const changelog = (breaking: string, changed = '') =>
    `# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n${breaking}\n\n### Changed\n\n${changed}\n\n## [0.1.0] - 2026-11-30\n\n### Breaking\n\n- \`PipelineEventBus6FAF1DE3\` old news\n`;

  it('accepts a replacement a Breaking section after its release names', () => {
    const text = changelog('- The bus is replaced (`PipelineEventBus6FAF1DE3`): migrate subscribers.');
    expect(unaccountedReplacements('0.1.0', [bus], [entry], text)).toEqual([]);
  });

  it('refuses one named only outside Breaking, or in the Breaking of the release itself', () => {
    const text = changelog('- something else', '- `PipelineEventBus6FAF1DE3` gets a new name');
    expect(unaccountedReplacements('0.1.0', [bus], [entry], text)).toEqual([
      expect.stringContaining('no Breaking section after 0.1.0 in CHANGELOG.md names it'),
    ]);
  });

  it('refuses a replacement no entry lists, and an entry nothing replaces', () => {
    const text = changelog('- `PipelineEventBus6FAF1DE3` is replaced');
    expect(unaccountedReplacements('0.1.0', [bus], [], text)).toEqual([
      expect.stringContaining(
        'AWS::Events::EventBus PipelineEventBus6FAF1DE3 would be replaced on upgrade from 0.1.0',
      ),
    ]);
    expect(unaccountedReplacements('0.1.0', [], [entry], text)).toEqual([
      expect.stringContaining('is listed as an intended replacement from 0.1.0 but is not replaced'),
    ]);
  });
});
