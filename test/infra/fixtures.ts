import type { ExistingResources } from '../../infra/liveness-pipeline-stack.js';

/** Every "bring your own resource" option of the stack, with well-formed ARNs. */
export const EXISTING_RESOURCES: ExistingResources = {
  bucketName: 'acme-selfies',
  bucketKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
  eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/acme-bus',
  encryptionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/66666666-7777-8888-9999-000000000000',
  credentialsSecretArn:
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/apptenticate-credentials-AbC123',
  tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/apptenticate-token-XyZ789',
  secretsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:acme-alarms',
};
