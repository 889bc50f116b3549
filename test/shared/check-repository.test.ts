import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CheckRepository } from '../../shared/check-repository.js';
import { RetryableError, TerminalError } from '../../shared/errors.js';

// What moto cannot show: read options, and how AWS faults and bare refusals come back.
const ddbMock = mockClient(DynamoDBDocumentClient);
const repo = new CheckRepository(new DynamoDBClient({ region: 'us-east-1' }), 'checks', 86_400);
const now = new Date('2026-11-25T10:00:00.000Z');
const throttled = () =>
  Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' });

beforeEach(() => {
  ddbMock.reset();
});

describe('CheckRepository', () => {
  it('reads a check with a strongly consistent read', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { checkId: 'c1', status: 'CHECKING' } });
    expect(await repo.get('c1')).toMatchObject({ status: 'CHECKING' });
    expect(ddbMock).toReceiveCommandWith(GetCommand, {
      TableName: 'checks',
      Key: { checkId: 'c1' },
      ConsistentRead: true,
    });
  });

  it('turns a throttled read, query or write into a retryable error naming the operation', async () => {
    ddbMock.on(GetCommand).rejects(throttled());
    ddbMock.on(QueryCommand).rejects(throttled());
    ddbMock.on(UpdateCommand).rejects(throttled());
    await expect(repo.get('c1')).rejects.toThrow(
      expect.objectContaining({
        name: 'RetryableError',
        message: 'DynamoDB GetItem failed with ThrottlingException',
      }),
    );
    await expect(repo.listSweepable({ status: 'CHECKING', cutoff: now, limit: 10 })).rejects.toThrow(
      /^DynamoDB Query failed with ThrottlingException$/,
    );
    const release = repo.release({ checkId: 'c1', leaseId: 'L1', now });
    await expect(release).rejects.toBeInstanceOf(RetryableError);
    await expect(release).rejects.toThrow(/^DynamoDB UpdateItem failed with ThrottlingException$/);
  });

  it('turns a refused write into a terminal error', async () => {
    ddbMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $fault: 'client' }));
    await expect(repo.release({ checkId: 'c1', leaseId: 'L1', now })).rejects.toBeInstanceOf(TerminalError);
  });

  it('reports a refused conditional write without a current item when DynamoDB returns none', async () => {
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const result = await repo.release({ checkId: 'gone', leaseId: 'L1', now });
    expect(result).toStrictEqual({ written: false });
  });

  it('stores who asked for a check with it, so only they may read it', async () => {
    ddbMock.on(PutCommand).resolves({});
    const uploadExpiresAt = new Date('2026-11-25T10:15:00.000Z');
    const owned = await repo.createAwaitingUpload({ checkId: 'c1', now, uploadExpiresAt, owner: 'user-7' });
    expect(owned.owner).toBe('user-7');
    expect(ddbMock).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ owner: 'user-7' }) });
    ddbMock.resetHistory();
    const anonymous = await repo.createAwaitingUpload({ checkId: 'c2', now, uploadExpiresAt });
    expect(anonymous.owner).toBeUndefined();
  });
});
