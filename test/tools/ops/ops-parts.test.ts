import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckItem } from '../../../shared/check.js';
import { eventIdFor } from '../../../shared/events/index.js';
import { parseArgs, parseTime } from '../../../tools/ops/args.js';
import type { OpsClients } from '../../../tools/ops/clients.js';
import type { OpsContext } from '../../../tools/ops/context.js';
import { parseStreamBatch } from '../../../tools/ops/dlq.js';
import { createOutput, redact } from '../../../tools/ops/output.js';
import { republish } from '../../../tools/ops/republish.js';
import { flagOf, namesFromFlags, namesFromOutputs, requireNames } from '../../../tools/ops/target.js';

describe('the output guard', () => {
  it('masks tokens, signed URL credentials, password fields and registered secrets', () => {
    const lines: string[] = [];
    const out = createOutput((line) => lines.push(line));
    out.secret('hunter2-secret');
    out.line('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and hunter2-secret');
    out.line('https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abcdef&x=1');
    out.line('{"username":"u","password":"p4ss"}');
    expect(lines).toEqual([
      'token [redacted token] and [redacted]',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&x=1',
      '{"username":"u","password":"[redacted]"}',
    ]);
  });

  it('leaves ordinary lines alone', () => {
    expect(redact('check 3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60: PASSED, eventId 148e43eb')).toBe(
      'check 3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60: PASSED, eventId 148e43eb',
    );
  });
});

describe('the command line', () => {
  it('reads words, --flag value, --flag=value and switches', () => {
    expect(parseArgs(['dlq', 'redrive', 'selfie', '--dry-run=false', '--rate', '5', '--yes'])).toEqual({
      positional: ['dlq', 'redrive', 'selfie'],
      flags: { 'dry-run': 'false', rate: '5', yes: true },
    });
    expect(() => parseArgs(['republish', '--since'])).toThrow('--since needs a value');
  });

  it('reads times as ISO 8601 or as an age', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    expect(parseTime('90m', now, 'since').toISOString()).toBe('2026-11-30T10:30:00.000Z');
    expect(parseTime('2d', now, 'since').toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(parseTime('2026-11-30T09:00:00Z', now, 'until').toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(() => parseTime('yesterday', now, 'since')).toThrow(/--since must be an ISO 8601 time/);
  });

  it('names resources by their stack output and by a kebab-case flag', () => {
    expect(flagOf('tokenRefresherFunctionName')).toBe('--token-refresher-function-name');
    expect(namesFromOutputs({ CheckTableName: 't', SelfieQueueUrl: 'q', Other: 'x' })).toEqual({
      checkTableName: 't',
      selfieQueueUrl: 'q',
    });
    expect(namesFromFlags({ 'check-table-name': 'u', stack: 'S' })).toEqual({ checkTableName: 'u' });
    expect(() =>
      requireNames({ description: 'stack S', names: {}, local: false }, ['checkTableName', 'eventBusName']),
    ).toThrow(
      'stack S does not name CheckTableName (pass --check-table-name), EventBusName (pass --event-bus-name)',
    );
  });
});

describe('notifier DLQ messages', () => {
  it('reads a notifier DLQ message as Lambda writes it, and one without arrival times', () => {
    const batch = parseStreamBatch({
      Body: JSON.stringify({
        requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 3 },
        DDBStreamBatchInfo: {
          startSequenceNumber: '1',
          endSequenceNumber: '9',
          approximateArrivalOfFirstRecord: '2026-11-30T10:00:00Z',
          approximateArrivalOfLastRecord: '2026-11-30T10:00:05Z',
          batchSize: 3,
        },
      }),
    });
    expect(batch).toMatchObject({ condition: 'RecordAgeExceeded', invokeCount: 3, batchSize: 3 });
    expect(batch.first?.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(parseStreamBatch({ Body: 'garbage' })).toMatchObject({ condition: 'unknown' });
    expect(parseStreamBatch({ Body: 'garbage' }).first).toBeUndefined();
  });
});

describe('republish', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const events = mockClient(EventBridgeClient);
  const item = (n: number): CheckItem =>
    ({
      checkId: `c-${n}`,
      status: 'PASSED',
      version: 3,
      attempts: 1,
      createdAt: `2026-11-30T10:00:0${n}.000Z`,
      updatedAt: `2026-11-30T10:01:0${n}.000Z`,
      decidedAt: `2026-11-30T10:01:0${n}.000Z`,
      result: { valid: true, transactionId: `t${n}` },
    }) as CheckItem;
  let slept: number[];
  let ctx: OpsContext;
  let lines: string[];

  beforeEach(() => {
    ddb.reset();
    events.reset();
    slept = [];
    lines = [];
    // Two pages, the way a Scan pages through a table.
    ddb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [item(3), item(1)],
        ScannedCount: 40,
        ConsumedCapacity: { CapacityUnits: 2 },
        LastEvaluatedKey: { checkId: 'c-1' },
      })
      .resolves({
        Items: [item(2), item(4), item(5)],
        ScannedCount: 40,
        ConsumedCapacity: { CapacityUnits: 2.5 },
      });
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    ctx = {
      target: {
        description: 'test',
        names: { checkTableName: 't', eventBusName: 'bus', eventSource: 'src' },
        local: false,
      },
      clients: {
        dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
        eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      } as unknown as OpsClients,
      out: createOutput((line) => lines.push(line)),
      clock: {
        now: () => new Date('2026-11-30T12:00:00Z'),
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
      args: [],
      flags: {},
      env: {},
      readStdin: async () => '',
    };
  });

  const options = {
    since: new Date('2026-11-30T10:00:00Z'),
    until: new Date('2026-11-30T11:00:00Z'),
    list: false,
  };

  it('finds the window by a filtered Scan, and puts nothing on a dry run', async () => {
    const result = await republish(ctx, { ...options, ratePerSecond: 10, dryRun: true });
    expect(result).toMatchObject({ events: 5, put: 0 });
    expect(ddb).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 't',
      FilterExpression: '#status IN (:s0, :s1, :s2, :s3) AND #decidedAt BETWEEN :since AND :until',
      ExpressionAttributeValues: expect.objectContaining({ ':since': '2026-11-30T10:00:00.000Z' }),
    });
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
    expect(lines.join('\n')).toContain('scanned 80 items (4.5 read units): 5 in the window');
    expect(lines.join('\n')).toMatch(
      /dry run: nothing put\. To put these 5 events on bus \(source src\) at 10\/s/,
    );
  });

  it('puts every event in decision order with its deterministic id and decision time, at the rate asked', async () => {
    const result = await republish(ctx, { ...options, ratePerSecond: 2, dryRun: false });
    expect(result).toMatchObject({ events: 5, put: 5, failed: [] });
    const calls = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    // 2 per second: calls of at most 2 entries, and a pause of 1 s per 2 events between them.
    expect(calls.map((entries) => entries.length)).toEqual([2, 2, 1]);
    expect(slept).toEqual([1000, 1000, 500]);
    const entries = calls.flat();
    expect(entries.map((e) => JSON.parse(e.Detail ?? '{}').checkId)).toEqual([
      'c-1',
      'c-2',
      'c-3',
      'c-4',
      'c-5',
    ]);
    const first = entries[0];
    expect(first).toMatchObject({ EventBusName: 'bus', Source: 'src', DetailType: 'Liveness Check Passed' });
    expect(JSON.parse(first?.Detail ?? '{}').eventId).toBe(
      eventIdFor('c-1', 'PASSED', '2026-11-30T10:00:01.000Z'),
    );
    expect(first?.Time).toEqual(new Date('2026-11-30T10:01:01.000Z'));
  });

  it('reports entries PutEvents refused and items that cannot become an event', async () => {
    ddb.reset();
    ddb.on(ScanCommand).resolves({ Items: [item(1), { ...item(2), result: undefined }], ScannedCount: 2 });
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }],
    });
    const result = await republish(ctx, { ...options, ratePerSecond: 10, dryRun: false });
    expect(result.failed).toEqual([
      {
        checkId: 'c-1',
        eventId: eventIdFor('c-1', 'PASSED', '2026-11-30T10:00:01.000Z'),
        errorCode: 'AccessDeniedException',
      },
    ]);
    expect(result.invalid).toEqual([{ checkId: 'c-2', problem: 'PASSED check item has no valid result' }]);
    expect(lines.join('\n')).toContain('not put: c-1');
  });

  it('puts nothing for a final item without decidedAt, and names it', async () => {
    ddb.reset();
    ddb.on(ScanCommand).resolves({ Items: [item(1), { ...item(2), decidedAt: undefined }], ScannedCount: 2 });
    const result = await republish(ctx, { ...options, ratePerSecond: 10, dryRun: false });
    expect(result).toMatchObject({ events: 1, put: 1, failed: [], invalid: [], unattested: ['c-2'] });
    const entries = events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => JSON.parse(e.Detail ?? '{}').checkId)).toEqual(['c-1']);
    expect(lines.join('\n')).toContain('not published: c-2: PASSED without decidedAt');
  });
});
