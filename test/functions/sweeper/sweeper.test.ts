import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type SweeperDeps, sweep } from '../../../functions/sweeper/sweeper.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { testClock } from '../../support/clock.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);

function setup(config: Partial<SweeperDeps['config']> = {}) {
  const logger = { info: vi.fn(), warn: vi.fn() };
  const deps: SweeperDeps = {
    config: { uploadGraceSeconds: 300, staleCheckGraceSeconds: 1800, maxSweepItems: 500, ...config },
    repository: new CheckRepository(new DynamoDBClient({ region: 'eu-west-1' }), 'checks', 86_400),
    clock: testClock(() => NOW),
    logger,
  };
  return { deps, logger };
}

const keys = (status: string, ...ids: string[]) =>
  ids.map((checkId) => ({ checkId, sweepStatus: status, sweepAt: '2026-11-25T09:00:00.000Z' }));
const onQuery = (status: 'AWAITING_UPLOAD' | 'CHECKING') =>
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':status': status } });
const updatesFor = (status: string) =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':final'] === status);

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand).resolves({ Attributes: {} });
});

describe('sweep', () => {
  it('expires uploads whose URL expired more than the grace ago, with the upload-expired guard', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'a1', 'a2') });
    const { deps } = setup();
    expect(await sweep(deps)).toEqual({ expired: 2, failed: 0, skipped: 0, errors: 0 });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      IndexName: 'bySweep',
      ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD', ':cutoff': '2026-11-25T11:55:00.000Z' },
    });
    const writes = updatesFor('EXPIRED');
    expect(writes.map((w) => w.Key)).toEqual([{ checkId: 'a1' }, { checkId: 'a2' }]);
    expect(writes[0]).toMatchObject({
      ConditionExpression: '#status = :awaiting AND #uploadExpiresAt < :cutoff',
      ExpressionAttributeValues: { ':cutoff': '2026-11-25T11:55:00.000Z', ':now': NOW.toISOString() },
    });
  });

  it('fails checks whose lease ran out more than the grace ago with LEASE_EXPIRED', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    const { deps } = setup();
    expect(await sweep(deps)).toEqual({ expired: 0, failed: 1, skipped: 0, errors: 0 });
    const cutoffMs = NOW.getTime() - 1800 * 1000;
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':status': 'CHECKING', ':cutoff': new Date(cutoffMs).toISOString() },
    });
    expect(updatesFor('FAILED')[0]).toMatchObject({
      Key: { checkId: 'c1' },
      ConditionExpression: '#status = :checking AND #leaseExpiresAt < :cutoffMs',
      ExpressionAttributeValues: {
        ':cutoffMs': cutoffMs,
        ':failure': {
          reason: 'LEASE_EXPIRED',
          message: 'no checker finished this check before its lease ran out',
        },
      },
    });
  });

  it('counts a refused write as skipped, not as an error', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'late') });
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ checkId: 'late', status: 'CHECKING' }),
      }),
    );
    const { deps, logger } = setup();
    expect(await sweep(deps)).toEqual({ expired: 0, failed: 0, skipped: 1, errors: 0 });
    expect(logger.info).toHaveBeenCalledWith('sweep skipped check', {
      checkId: 'late',
      currentStatus: 'CHECKING',
    });
  });

  it('counts a failed write as an error and goes on with the others', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'x', 'y') });
    ddb
      .on(UpdateCommand, { Key: { checkId: 'x' } })
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $fault: 'client' }));
    const { deps, logger } = setup();
    expect(await sweep(deps)).toEqual({ expired: 1, failed: 0, skipped: 0, errors: 1 });
    expect(logger.warn).toHaveBeenCalledWith('sweep write failed', {
      checkId: 'x',
      error: { name: 'RetryableError', message: 'DynamoDB UpdateItem failed with ThrottlingException' },
    });
  });

  it('pages through the index with the key each page returns', async () => {
    const next = { checkId: 'p1', sweepStatus: 'AWAITING_UPLOAD', sweepAt: '2026-11-25T09:00:00.000Z' };
    onQuery('AWAITING_UPLOAD')
      .resolvesOnce({ Items: keys('AWAITING_UPLOAD', 'p1'), LastEvaluatedKey: next })
      .resolvesOnce({ Items: keys('AWAITING_UPLOAD', 'p2') });
    const { deps } = setup();
    expect((await sweep(deps)).expired).toBe(2);
    expect(ddb).toReceiveCommandWith(QueryCommand, { ExclusiveStartKey: next });
  });

  it('settles at most MAX_SWEEP_ITEMS checks per run, leaving the rest to the next run', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    onQuery('AWAITING_UPLOAD').resolves({
      Items: keys('AWAITING_UPLOAD', 'a1', 'a2'),
      LastEvaluatedKey: { checkId: 'a2' },
    });
    const { deps } = setup({ maxSweepItems: 3 });
    expect(await sweep(deps)).toEqual({ expired: 2, failed: 1, skipped: 0, errors: 0 });
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((q) => [q.ExpressionAttributeValues?.[':status'], q.Limit])).toEqual([
      ['CHECKING', 2],
      ['AWAITING_UPLOAD', 2],
    ]);
  });

  it('gives stale leases no more than half the budget', async () => {
    onQuery('CHECKING').resolves({
      Items: keys('CHECKING', 'c1', 'c2'),
      LastEvaluatedKey: { checkId: 'c2' },
    });
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'a1', 'a2') });
    const { deps } = setup({ maxSweepItems: 4 });
    expect(await sweep(deps)).toEqual({ expired: 2, failed: 2, skipped: 0, errors: 0 });
  });

  it('lets a query failure fail the run', async () => {
    onQuery('CHECKING').rejects(
      Object.assign(new Error('down'), { name: 'InternalServerError', $fault: 'server' }),
    );
    const { deps } = setup();
    await expect(sweep(deps)).rejects.toThrow('DynamoDB Query failed with InternalServerError');
  });
});
