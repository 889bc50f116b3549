import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadStreamFixture, sequenceNumbersOf } from './helpers.js';

const eventBridgeMock = mockClient(EventBridgeClient);
const context = {
  functionName: 'notifier',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:notifier',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  logGroupName: '/aws/lambda/notifier',
  logStreamName: '2026/11/25/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let handler: typeof import('../../../functions/notifier/handler.js').handler;
let stdout: string[];

beforeAll(async () => {
  vi.stubEnv('EVENT_BUS_NAME', 'liveness-bus');
  vi.stubEnv('EVENT_SOURCE', 'com.example.liveness');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  ({ handler } = await import('../../../functions/notifier/handler.js'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  eventBridgeMock.reset();
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  return () => vi.restoreAllMocks();
});

describe('notifier handler', () => {
  it('puts the events on the configured bus with the configured source and flushes its metrics', async () => {
    eventBridgeMock.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `eb-${index}` })),
    }));

    const response = await handler(loadStreamFixture('final-transitions.json'), context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridgeMock).toReceiveCommandWith(PutEventsCommand, {
      Entries: expect.arrayContaining([
        expect.objectContaining({ EventBusName: 'liveness-bus', Source: 'com.example.liveness' }),
      ]),
    });
    const emf = stdout.map((line) => line.trim()).find((line) => line.includes('"EventsPublished"'));
    expect(emf && JSON.parse(emf)).toMatchObject({ EventsPublished: 4, service: 'notifier' });
  });

  it('answers with every final record as a batch item failure when every publication fails', async () => {
    eventBridgeMock.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: input.Entries?.length,
      Entries: (input.Entries ?? []).map(() => ({
        ErrorCode: 'AccessDeniedException',
        ErrorMessage: 'denied',
      })),
    }));
    const event = loadStreamFixture('final-transitions.json');

    const response = await handler(event, context);

    // The first two records (INSERT, AWAITING_UPLOAD -> CHECKING) are not final transitions.
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      sequenceNumbersOf(event.Records.slice(2)),
    );
  });
});
