import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** The key that encrypts a created topic; CloudWatch is allowed to use it when its policy can be edited. */
  readonly encryptionKey: kms.IKey;
  /**
   * An existing SNS topic for alarm notifications.
   * @default - a new topic, encrypted with `encryptionKey`, TLS only
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The SNS topic the pipeline's alarms notify.
 *
 * A part of `LivenessPipeline`: it creates its topic directly in `scope` with a fixed id (see the
 * comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class AlarmTopic {
  readonly topic: sns.ITopic;

  constructor(scope: Construct, props: AlarmTopicProps) {
    if (props.alarmTopic) {
      this.topic = props.alarmTopic;
      return;
    }
    this.topic = new sns.Topic(scope, 'AlarmTopic', {
      displayName: 'Selfie liveness alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it.
    const added = props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'aws:SourceArn': Stack.of(scope).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
      false,
    );
    // A key this stack creates always takes the statement; an imported one never does.
    if (!added.statementAdded) {
      Annotations.of(scope).addWarningV2(
        '@selfie-liveness/pipeline:keyPolicyForAlarms',
        'The alarm topic is encrypted with the key you passed, whose policy this construct cannot edit: allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* on it, or pass alarmTopic.',
      );
    }
  }
}
