import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type NotifierDeps,
  type NotifierOptions,
  publishFinalTransitions,
} from '../../../functions/notifier/notifier.js';
import { putEventsEntrySize, toPutEventsEntry } from '../../../functions/notifier/put-events.js';
import type { CheckItem, CheckStatus } from '../../../shared/check.js';
import { buildEventDetail } from '../../../shared/events/build-event.js';
import { finalCheckItem } from '../../shared/events/check-items.js';
import { streamRecord } from './records.js';

// The edges mutation testing found unpinned: sizes, retryable codes, metrics and odd stream records.
const eventBridgeMock = mockClient(EventBridgeClient);
const options: NotifierOptions = { eventBusName: 'liveness-bus', eventSource: 'selfie-liveness' };
const NOW = new Date('2026-11-25T10:00:08.000Z');
let logger: Record<'debug' | 'info' | 'warn' | 'error', ReturnType<typeof vi.fn>>;
let addMetric: ReturnType<typeof vi.fn>;
let sleep: ReturnType<typeof vi.fn<(ms: number) => Promise<void>>>;
let deps: NotifierDeps;

const passed = (checkId: string, overrides: Partial<CheckItem> = {}) =>
  finalCheckItem('PASSED', { checkId, ...overrides });
const transition = (checkId: string, from: CheckStatus = 'CHECKING') =>
  streamRecord('MODIFY', {
    old: { ...passed(checkId), status: from, result: undefined, decidedAt: undefined },
    new: passed(checkId),
  });
const metricCalls = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name);
const acceptAll = (input: PutEventsCommandInput) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })),
});

beforeEach(() => {
  eventBridgeMock.reset();
  eventBridgeMock.on(PutEventsCommand).callsFake(acceptAll);
  logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  addMetric = vi.fn();
  sleep = vi.fn(async (_ms: number) => {});
  deps = {
    eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
    logger: logger as unknown as NotifierDeps['logger'],
    metrics: { addMetric } as unknown as NotifierDeps['metrics'],
    clock: { now: () => NOW, sleep },
  };
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('putEventsEntrySize', () => {
  it('counts only the fields an entry has', () => {
    expect(putEventsEntrySize({})).toBe(0);
    expect(putEventsEntrySize({ Source: 'ab' })).toBe(2);
    expect(putEventsEntrySize({ DetailType: 'abc' })).toBe(3);
    expect(putEventsEntrySize({ Detail: '{"é":1}' })).toBe(8);
    expect(putEventsEntrySize({ Resources: ['r1', 'r22'] })).toBe(5);
  });
});

describe('publishFinalTransitions: edges', () => {
  it.each(['InternalException', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalFailure'])(
    'retries an entry that failed with %s',
    async (code) => {
      eventBridgeMock
        .on(PutEventsCommand)
        .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: 'try again' }] })
        .callsFake(acceptAll);
      const response = await publishFinalTransitions([transition('c1')], deps, options);
      expect(response.batchItemFailures).toEqual([]);
      expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 2);
    },
  );

  it('reports an entry answered with neither an event id nor an error code as failed', async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });
    const record = transition('c1');
    const response = await publishFinalTransitions([record], deps, options);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
    expect(logger.error).toHaveBeenCalledWith(
      'event publish failed',
      expect.objectContaining({ errorCode: 'UnknownError' }),
    );
  });

  it('names the error of a whole call that failed', async () => {
    eventBridgeMock
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' }));
    await publishFinalTransitions([transition('c1')], deps, options);
    expect(logger.error).toHaveBeenCalledWith(
      'event publish failed',
      expect.objectContaining({ errorCode: 'AccessDeniedException', errorMessage: 'denied' }),
    );
  });

  it('retries entries a short result left unanswered, naming why', async () => {
    eventBridgeMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-0' }] })
      .callsFake(acceptAll);
    const response = await publishFinalTransitions([transition('c1'), transition('c2')], deps, options);
    expect(response.batchItemFailures).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(
      'putevents entries will be retried',
      expect.objectContaining({ errorCodes: ['IncompletePutEventsResult'] }),
    );
  });

  it('retries an answer that lists no entries at all, never taking it for published', async () => {
    eventBridgeMock.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0 }).callsFake(acceptAll);
    const response = await publishFinalTransitions([transition('c1')], deps, options);
    expect(response.batchItemFailures).toEqual([]);
    expect(eventBridgeMock.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(logger.warn).toHaveBeenCalledWith(
      'putevents entries will be retried',
      expect.objectContaining({ errorCodes: ['IncompletePutEventsResult'] }),
    );
  });

  it('measures how long after the decision an event was published', async () => {
    const record = streamRecord('MODIFY', {
      old: { ...passed('c1'), status: 'CHECKING', result: undefined, decidedAt: undefined },
      new: passed('c1', { decidedAt: '2026-11-25T10:00:05.000Z' }),
    });
    await publishFinalTransitions([record], deps, options);
    expect(metricCalls('PublishDelay')).toEqual([['PublishDelay', 'Milliseconds', 3000]]);
  });

  it('backs off between half and all of the doubled delay', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1);
    eventBridgeMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    await publishFinalTransitions([transition('c1')], deps, options);
    expect(sleep.mock.calls).toEqual([[100], [200]]);
  });

  it('publishes an entry of exactly the size limit, and fills a call up to exactly the limit', async () => {
    const first = passed('c1');
    const size = putEventsEntrySize(toPutEventsEntry(buildEventDetail(first), options));
    await publishFinalTransitions([transition('c1')], deps, { ...options, maxRequestBytes: size });
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);

    eventBridgeMock.resetHistory();
    const second = putEventsEntrySize(toPutEventsEntry(buildEventDetail(passed('c2')), options));
    await publishFinalTransitions([transition('c1'), transition('c2')], deps, {
      ...options,
      maxRequestBytes: size + second,
    });
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
  });

  it('counts unpublishable events only when there are some, and counts skipped records', async () => {
    const notFinal = streamRecord('MODIFY', {
      old: { ...passed('c2'), status: 'AWAITING_UPLOAD', result: undefined, decidedAt: undefined },
      new: { ...passed('c2'), status: 'CHECKING', result: undefined, decidedAt: undefined },
    });
    await publishFinalTransitions([transition('c1'), notFinal], deps, options);
    expect(metricCalls('UnpublishableEvents')).toEqual([]);
    expect(logger.debug).toHaveBeenCalledWith(
      'stream record skipped',
      expect.objectContaining({ reason: 'NOT_FINAL' }),
    );
    expect(logger.info).toHaveBeenCalledWith(
      'stream batch processed',
      expect.objectContaining({ records: 2, skipped: 1, published: 1 }),
    );
  });

  it('does not warn about old images for an item created final', async () => {
    await publishFinalTransitions([streamRecord('INSERT', { new: passed('c1') })], deps, options);
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('skips a record without stream data, and a final image without a check id', async () => {
    const bare = { eventName: 'MODIFY', eventID: 'e-1' } as DynamoDBRecord;
    const noId = streamRecord('MODIFY', { new: { status: 'PASSED' } });
    if (noId.dynamodb?.NewImage) delete noId.dynamodb.NewImage.checkId;
    const response = await publishFinalTransitions([bare, noId], deps, options);
    expect(response.batchItemFailures).toEqual([]);
    expect(eventBridgeMock).not.toReceiveCommand(PutEventsCommand);
  });
});
