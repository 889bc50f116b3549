import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../../functions/commons/aws-clients.js';

describe('awsClientOptions', () => {
  it('names the function in both user agent headers of every request', async () => {
    const client = new SecretsManagerClient({
      ...awsClientOptions('token-refresher'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    let headers: Record<string, string> | undefined;
    client.middlewareStack.add(
      () => async (args) => {
        headers = (args.request as { headers: Record<string, string> }).headers;
        throw new Error('request captured');
      },
      { step: 'finalizeRequest', priority: 'low' },
    );

    await expect(client.send(new GetSecretValueCommand({ SecretId: 's' }))).rejects.toThrow(
      'request captured',
    );

    expect(headers?.['user-agent']).toMatch(/(^| )selfie-liveness\/token-refresher( |$)/);
    expect(headers?.['x-amz-user-agent']).toMatch(/(^| )selfie-liveness\/token-refresher( |$)/);
  });
});
