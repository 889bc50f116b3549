import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type NotifierDeps,
  type NotifierOptions,
  publishFinalTransitions,
} from '../../../functions/notifier/notifier.js';
import {
  PUT_EVENTS_MAX_BYTES,
  putEventsEntrySize,
  toPutEventsEntry,
} from '../../../functions/notifier/put-events.js';
import { type CheckItem, type CheckStatus, FINAL_STATUSES } from '../../../shared/check.js';
import { buildEventDetail } from '../../../shared/events/build-event.js';
import { DETAIL_TYPES, eventIdFor, type LivenessEventDetail } from '../../../shared/events/index.js';
import { finalCheckItem } from '../../shared/events/check-items.js';
import { errorsOf, validateDetail } from '../../shared/events/validator.js';
import { loadStreamFixture, sequenceNumbersOf, streamRecord } from './helpers.js';

const eventBridgeMock = mockClient(EventBridgeClient);
const NOW = new Date('2026-11-25T10:00:08.000Z');
const options: NotifierOptions = { eventBusName: 'liveness-bus', eventSource: 'selfie-liveness' };
const logged = () => vi.fn<(...args: unknown[]) => void>();
let logger: Record<'debug' | 'info' | 'warn' | 'error', ReturnType<typeof logged>>;
let addMetric: ReturnType<typeof vi.fn<(name: string, unit: string, value: number) => void>>;
let sleep: ReturnType<typeof vi.fn<(ms: number) => Promise<void>>>;
let deps: NotifierDeps;

/** PutEvents succeeds for every entry, as EventBridge answers. */
function acceptAll(input: PutEventsCommandInput): PutEventsCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `eb-${index}` })),
  };
}

/** PutEvents answers HTTP 200 with `code` for the entries `fails` picks. */
function failEntries(fails: (entry: PutEventsRequestEntry) => boolean, code: string) {
  return (input: PutEventsCommandInput): PutEventsCommandOutput => {
    const entries = (input.Entries ?? []).map((entry, index) =>
      fails(entry) ? { ErrorCode: code, ErrorMessage: `${code} for this entry` } : { EventId: `eb-${index}` },
    );
    return {
      $metadata: { httpStatusCode: 200 },
      FailedEntryCount: entries.filter((e) => e.ErrorCode).length,
      Entries: entries,
    };
  };
}

function sentEntries(): PutEventsRequestEntry[][] {
  return eventBridgeMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

function sentDetails(): LivenessEventDetail[] {
  return sentEntries()
    .flat()
    .map((entry) => JSON.parse(entry.Detail ?? '{}') as LivenessEventDetail);
}

function metricTotal(name: string): number {
  return addMetric.mock.calls
    .filter(([metric]) => metric === name)
    .reduce((sum, [, , value]) => sum + (value as number), 0);
}

const checkOf = (status: CheckStatus, overrides: Partial<CheckItem> = {}): CheckItem =>
  (FINAL_STATUSES as readonly string[]).includes(status)
    ? finalCheckItem(status as (typeof FINAL_STATUSES)[number], overrides)
    : { ...finalCheckItem('PASSED'), status, result: undefined, decidedAt: undefined, ...overrides };

/** A MODIFY from one status to another of the same check. */
const transition = (from: CheckStatus, to: CheckStatus, overrides: Partial<CheckItem> = {}) =>
  streamRecord('MODIFY', { old: checkOf(from, overrides), new: checkOf(to, overrides) });

beforeEach(() => {
  eventBridgeMock.reset();
  eventBridgeMock.on(PutEventsCommand).callsFake(acceptAll);
  logger = { debug: logged(), info: logged(), warn: logged(), error: logged() };
  addMetric = vi.fn();
  sleep = vi.fn(async () => {});
  deps = {
    eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
    logger,
    metrics: { addMetric } as unknown as NotifierDeps['metrics'],
    clock: { now: () => NOW, sleep },
  };
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('publishFinalTransitions: which records become events', () => {
  it('publishes one event per check that became PASSED, REJECTED, FAILED or EXPIRED', async () => {
    const event = loadStreamFixture('final-transitions.json');

    const response = await publishFinalTransitions(event.Records, deps, options);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
    const entries = sentEntries().flat();
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      'Liveness Check Passed',
      'Liveness Check Rejected',
      'Liveness Check Failed',
      'Liveness Check Expired',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ EventBusName: 'liveness-bus', Source: 'selfie-liveness' });
      const detail = JSON.parse(entry.Detail ?? '') as LivenessEventDetail;
      expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
      expect(entry.Time).toEqual(new Date(detail.decidedAt));
    }
    expect(metricTotal('EventsPublished')).toBe(4);
    expect(metricTotal('PublishFailures')).toBe(0);
  });

  it('carries the verdict, the rejection and the failure from the new image into the detail', async () => {
    await publishFinalTransitions(loadStreamFixture('final-transitions.json').Records, deps, options);

    const [passed, rejected, failed, expired] = sentDetails();
    expect(passed).toMatchObject({
      status: 'PASSED',
      checkId: '1f0e6c2a-7b1d-4d8e-9a3c-5e2f4b6a8c01',
      eventId: eventIdFor('1f0e6c2a-7b1d-4d8e-9a3c-5e2f4b6a8c01', 'PASSED', '2026-11-25T10:00:00.000Z'),
      device: 'IOS',
      result: { valid: true, transactionId: 'tx-8c1f2a', score: 0.98, quality: 0.91, liveness: 0.97 },
      attempts: 1,
    });
    expect(rejected).toMatchObject({
      status: 'REJECTED',
      device: 'ANDROID',
      rejection: { code: 700, reason: 'FACE_TOO_CLOSE', source: 'apptenticate' },
      result: { valid: false, transactionId: 'tx-7d0e1b' },
    });
    expect(failed).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'VENDOR_UNAVAILABLE' },
      attempts: 3,
    });
    expect(expired).toMatchObject({ status: 'EXPIRED', decidedAt: '2026-11-25T10:16:00.000Z', attempts: 0 });
  });

  it.each<[string, DynamoDBRecord, boolean]>([
    ['INSERT of AWAITING_UPLOAD', streamRecord('INSERT', { new: checkOf('AWAITING_UPLOAD') }), false],
    ['AWAITING_UPLOAD -> CHECKING', transition('AWAITING_UPLOAD', 'CHECKING'), false],
    ['CHECKING -> CHECKING (a lease taken over)', transition('CHECKING', 'CHECKING'), false],
    ['CHECKING -> PASSED', transition('CHECKING', 'PASSED'), true],
    ['CHECKING -> REJECTED', transition('CHECKING', 'REJECTED'), true],
    ['CHECKING -> FAILED', transition('CHECKING', 'FAILED'), true],
    ['AWAITING_UPLOAD -> EXPIRED', transition('AWAITING_UPLOAD', 'EXPIRED'), true],
    ['AWAITING_UPLOAD -> REJECTED (pre-check)', transition('AWAITING_UPLOAD', 'REJECTED'), true],
    ['AWAITING_UPLOAD -> FAILED (object gone)', transition('AWAITING_UPLOAD', 'FAILED'), true],
    ['INSERT of a check created REJECTED', streamRecord('INSERT', { new: checkOf('REJECTED') }), true],
    ['PASSED -> PASSED (a later write to a final check)', transition('PASSED', 'PASSED'), false],
    ['REJECTED -> REJECTED', transition('REJECTED', 'REJECTED'), false],
    ['PASSED -> FAILED (a final check never changes its verdict)', transition('PASSED', 'FAILED'), false],
    ['EXPIRED -> PASSED', transition('EXPIRED', 'PASSED'), false],
    ['REMOVE of a PASSED check (TTL)', streamRecord('REMOVE', { old: checkOf('PASSED') }), false],
  ])('%s is published: %s', async (_label, record, published) => {
    const response = await publishFinalTransitions([record], deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, published ? 1 : 0);
  });

  it('publishes a MODIFY without an old image, and warns that the stream lacks old images', async () => {
    const record = streamRecord('MODIFY', { new: checkOf('PASSED') });

    await publishFinalTransitions([record], deps, options);

    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(logger.warn).toHaveBeenCalledWith('stream record has no old image', expect.objectContaining({}));
  });

  it('skips keys-only inserts, later writes to final checks, TTL removals and keys-only records', async () => {
    const event = loadStreamFixture('not-final-transitions.json');

    const response = await publishFinalTransitions(event.Records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(eventBridgeMock).not.toReceiveCommand(PutEventsCommand);
    expect(logger.debug.mock.calls.map(([, data]) => (data as { reason: string }).reason)).toEqual([
      'NO_NEW_IMAGE',
      'ALREADY_FINAL',
      'REMOVE',
      'NO_NEW_IMAGE',
    ]);
  });

  it('publishes a check created final, without the device and reference it never had', async () => {
    await publishFinalTransitions(loadStreamFixture('insert-final.json').Records, deps, options);

    const [detail] = sentDetails();
    expect(detail).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' },
      attempts: 0,
    });
    expect(detail).not.toHaveProperty('device');
    expect(detail).not.toHaveProperty('reference');
    expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
  });

  it('publishes a record delivered twice in one batch once, under one eventId', async () => {
    const record = transition('CHECKING', 'PASSED');
    const redelivered = structuredClone(record);

    const response = await publishFinalTransitions([record, redelivered], deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(sentEntries().flat()).toHaveLength(1);
  });

  it('gives a republished transition the same eventId as the first publication', async () => {
    const record = transition('CHECKING', 'REJECTED');
    await publishFinalTransitions([record], deps, options);
    await publishFinalTransitions([structuredClone(record)], deps, options);

    const [first, second] = sentDetails();
    expect(first?.eventId).toBeDefined();
    expect(second?.eventId).toBe(first?.eventId);
    expect(second).toEqual(first);
  });
});

describe('publishFinalTransitions: final statuses no decider wrote', () => {
  it('publishes nothing for checks written PASSED without decidedAt, and acknowledges them', async () => {
    const event = loadStreamFixture('final-unattested.json');

    const response = await publishFinalTransitions(event.Records, deps, options);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridgeMock).not.toReceiveCommand(PutEventsCommand);
    expect(metricTotal('UnattestedFinalStatuses')).toBe(2);
    expect(metricTotal('UnpublishableEvents')).toBe(0);
    expect(metricTotal('PublishFailures')).toBe(0);
  });

  it('logs each as an error with its checkId, status and stream position', async () => {
    const event = loadStreamFixture('final-unattested.json');

    await publishFinalTransitions(event.Records, deps, options);

    expect(logger.error.mock.calls).toEqual([
      [
        'final status without decidedAt not published',
        {
          checkId: '6e7f8091-7cad-4e54-8f31-1c5d6e7f8a06',
          status: 'PASSED',
          eventName: 'INSERT',
          sequenceNumber: '44215845000000000174514100',
        },
      ],
      [
        'final status without decidedAt not published',
        {
          checkId: '7f8091a2-8dbe-4f65-9a42-2d6e7f8a9b07',
          status: 'PASSED',
          eventName: 'MODIFY',
          sequenceNumber: '44215845000000000174514200',
        },
      ],
    ]);
  });

  it('still publishes the attested transitions of the same batch', async () => {
    const attested = transition('CHECKING', 'PASSED');
    const records = [...loadStreamFixture('final-unattested.json').Records, attested];

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual([checkOf('PASSED').checkId]);
    expect(metricTotal('EventsPublished')).toBe(1);
    expect(metricTotal('UnattestedFinalStatuses')).toBe(2);
  });

  it.each(FINAL_STATUSES)('does not publish a transition into %s without decidedAt', async (status) => {
    const record = transition('CHECKING', status, { decidedAt: undefined });

    const response = await publishFinalTransitions([record], deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(eventBridgeMock).not.toReceiveCommand(PutEventsCommand);
    expect(metricTotal('UnattestedFinalStatuses')).toBe(1);
  });

  it('counts nothing when no record lacks decidedAt, and leaves later writes to final checks alone', async () => {
    const rewrite = transition('PASSED', 'PASSED', { decidedAt: undefined });

    await publishFinalTransitions([transition('CHECKING', 'REJECTED'), rewrite], deps, options);

    expect(addMetric.mock.calls.map(([name]) => name)).not.toContain('UnattestedFinalStatuses');
    expect(logger.error).not.toHaveBeenCalled();
  });
});

describe('publishFinalTransitions: batching', () => {
  const finals = (count: number) =>
    Array.from({ length: count }, (_, index) =>
      transition('CHECKING', 'PASSED', { checkId: `check-${String(index).padStart(3, '0')}` }),
    );

  it('puts at most 10 entries per PutEvents call, in stream order', async () => {
    const records = finals(23);

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual(
      records.map((_, i) => `check-${String(i).padStart(3, '0')}`),
    );
  });

  it('splits calls so that no call exceeds the size limit', async () => {
    const records = finals(6);
    const [probe] = await captureEntries(records.slice(0, 1));
    const entrySize = putEventsEntrySize(probe ?? {});
    const limit = entrySize * 2 + 10;

    await publishFinalTransitions(records, deps, { ...options, maxRequestBytes: limit });

    expect(sentEntries().map((entries) => entries.length)).toEqual([2, 2, 2]);
    for (const entries of sentEntries()) {
      expect(entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0)).toBeLessThanOrEqual(limit);
    }
  });

  it('measures an entry as EventBridge does: Source, DetailType, Detail, Resources and 14 bytes of Time', () => {
    expect(
      putEventsEntrySize({
        Source: 'selfie-liveness',
        DetailType: 'Liveness Check Passed',
        Detail: '{"a":"é"}',
        Resources: ['arn:x'],
        Time: new Date(),
        EventBusName: 'not counted',
      }),
    ).toBe(15 + 21 + 10 + 5 + 14);
    expect(PUT_EVENTS_MAX_BYTES).toBe(262_144);
  });

  async function captureEntries(records: DynamoDBRecord[]): Promise<PutEventsRequestEntry[]> {
    await publishFinalTransitions(records, deps, options);
    const entries = sentEntries().flat();
    eventBridgeMock.resetHistory();
    return entries;
  }
});

describe('publishFinalTransitions: failures', () => {
  const batch = () => [
    transition('CHECKING', 'PASSED', { checkId: 'check-a' }),
    transition('CHECKING', 'REJECTED', { checkId: 'check-b' }),
    transition('AWAITING_UPLOAD', 'CHECKING', { checkId: 'check-c' }),
    transition('CHECKING', 'FAILED', { checkId: 'check-d' }),
  ];
  const isCheck = (checkId: string) => (entry: PutEventsRequestEntry) =>
    entry.Detail?.includes(`"checkId":"${checkId}"`) ?? false;

  it('reports only the records whose entries failed, and does not retry a failure that cannot heal', async () => {
    const records = batch();
    eventBridgeMock.on(PutEventsCommand).callsFake(failEntries(isCheck('check-b'), 'AccessDeniedException'));

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(metricTotal('EventsPublished')).toBe(2);
    expect(metricTotal('PublishFailures')).toBe(1);
    expect(logger.error).toHaveBeenCalledWith(
      'event publish failed',
      expect.objectContaining({ checkId: 'check-b', errorCode: 'AccessDeniedException' }),
    );
  });

  it('retries only the throttled entries and reports nothing when the retry succeeds', async () => {
    const records = batch();
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFakeOnce(failEntries(isCheck('check-d'), 'ThrottlingException'))
      .callsFake(acceptAll);

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([3, 1]);
    expect(sentEntries()[1]?.[0]?.Detail).toContain('"checkId":"check-d"');
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(metricTotal('EventsPublished')).toBe(3);
  });

  it('gives up on entries still throttled after 3 attempts, with bounded backoff, and reports them', async () => {
    const records = batch();
    eventBridgeMock.on(PutEventsCommand).callsFake(failEntries(isCheck('check-a'), 'ThrottlingException'));

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([3, 1, 1]);
    const delays = sleep.mock.calls.map(([ms]) => ms as number);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(200);
    expect(logger.error).toHaveBeenCalledWith(
      'event publish failed',
      expect.objectContaining({ checkId: 'check-a', errorCode: 'ThrottlingException', attempts: 3 }),
    );
  });

  it('retries a whole call that AWS throttled', async () => {
    const records = batch();
    const throttled = new EventBridgeServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    eventBridgeMock.on(PutEventsCommand).rejectsOnce(throttled).callsFake(acceptAll);

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    expect(sentEntries().map((entries) => entries.length)).toEqual([3, 3]);
  });

  it('reports every final record when every entry fails, instead of throwing', async () => {
    const records = batch();
    eventBridgeMock.on(PutEventsCommand).callsFake(failEntries(() => true, 'InternalFailure'));

    const response = await publishFinalTransitions(records, deps, options);

    const finalRecords = [records[0], records[1], records[3]];
    expect(response.batchItemFailures).toEqual(
      sequenceNumbersOf(finalRecords as DynamoDBRecord[]).map((itemIdentifier) => ({ itemIdentifier })),
    );
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 3);
    expect(metricTotal('PublishFailures')).toBe(3);
    expect(metricTotal('EventsPublished')).toBe(0);
  });

  it('reports every final record when the bus does not exist, without retrying', async () => {
    const records = batch();
    eventBridgeMock.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Event bus liveness-bus does not exist.',
      }),
    );

    const response = await publishFinalTransitions(records, deps, options);

    expect(response.batchItemFailures).toHaveLength(3);
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);
  });

  it('treats a result without one entry per request entry as a failure of every entry', async () => {
    const records = batch();
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-0' }] });

    const response = await publishFinalTransitions(records, deps, { ...options, maxAttempts: 2 });

    expect(response.batchItemFailures).toHaveLength(3);
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 2);
  });

  it('still publishes the records after a failed one, and reports both copies of a failed duplicate', async () => {
    const failing = transition('CHECKING', 'PASSED', { checkId: 'check-x' });
    const later = transition('CHECKING', 'FAILED', { checkId: 'check-y' });
    const redelivered = structuredClone(failing);
    redelivered.dynamodb = { ...redelivered.dynamodb, SequenceNumber: '900000000000000000000001' };
    eventBridgeMock.on(PutEventsCommand).callsFake(failEntries(isCheck('check-x'), 'MalformedDetail'));

    const response = await publishFinalTransitions([failing, later, redelivered], deps, options);

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: failing.dynamodb?.SequenceNumber },
      { itemIdentifier: '900000000000000000000001' },
    ]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual(['check-x', 'check-y']);
  });

  it('reports an entry too large to ever publish loudly, and publishes the others', async () => {
    const big = transition('CHECKING', 'FAILED', {
      checkId: 'check-big',
      failure: { reason: 'VENDOR_UNAVAILABLE', message: 'x'.repeat(1000) },
    });
    const small = transition('CHECKING', 'PASSED', { checkId: 'check-small' });

    const response = await publishFinalTransitions([big, small], deps, { ...options, maxRequestBytes: 1000 });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: big.dynamodb?.SequenceNumber }]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual(['check-small']);
    expect(logger.error).toHaveBeenCalledWith(
      'event cannot be published',
      expect.objectContaining({ checkId: 'check-big', reason: 'ENTRY_TOO_LARGE' }),
    );
    expect(metricTotal('UnpublishableEvents')).toBe(1);
    expect(metricTotal('PublishFailures')).toBe(1);
  });

  it('reports a final item that breaks the contract loudly, and publishes the others', async () => {
    const broken = transition('CHECKING', 'PASSED', { checkId: 'check-broken', result: undefined });
    const fine = transition('CHECKING', 'EXPIRED', { checkId: 'check-fine' });

    const response = await publishFinalTransitions([broken, fine], deps, options);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: broken.dynamodb?.SequenceNumber }]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual(['check-fine']);
    expect(logger.error).toHaveBeenCalledWith(
      'event cannot be published',
      expect.objectContaining({ checkId: 'check-broken', reason: 'INVALID_ITEM' }),
    );
    expect(metricTotal('UnpublishableEvents')).toBe(1);
  });

  it('reports a record whose image cannot be read loudly, and publishes the others', async () => {
    const unreadable = transition('CHECKING', 'PASSED', { checkId: 'check-unreadable' });
    // A type descriptor the SDK does not know: unmarshall throws on it.
    Object.assign(unreadable.dynamodb?.NewImage ?? {}, { attempts: { X: '1' } });
    const fine = transition('CHECKING', 'EXPIRED', { checkId: 'check-fine' });

    const response = await publishFinalTransitions([unreadable, fine], deps, options);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: unreadable.dynamodb?.SequenceNumber }]);
    expect(sentDetails().map((detail) => detail.checkId)).toEqual(['check-fine']);
    expect(logger.error).toHaveBeenCalledWith(
      'event cannot be published',
      expect.objectContaining({ reason: 'IMAGE_UNREADABLE' }),
    );
    expect(metricTotal('UnpublishableEvents')).toBe(1);
  });

  it('fails the whole batch when a failed record has no sequence number to report', async () => {
    const record = transition('CHECKING', 'PASSED');
    delete record.dynamodb?.SequenceNumber;
    eventBridgeMock.on(PutEventsCommand).callsFake(failEntries(() => true, 'AccessDeniedException'));

    await expect(publishFinalTransitions([record], deps, options)).rejects.toThrow(/no sequence number/);
  });

  it('keeps selfie bytes, presigned URLs and storage details out of every entry', async () => {
    const leaky = {
      ...checkOf('PASSED', { checkId: 'check-leak' }),
      selfie: 'iVBORw0KGgoAAAANSUhEUg',
      uploadUrl: 'https://selfies.s3.amazonaws.com/?X-Amz-Signature=deadbeef',
    };
    const record = streamRecord('MODIFY', { old: checkOf('CHECKING'), new: leaky });

    await publishFinalTransitions([record], deps, options);

    const detail = sentEntries().flat()[0]?.Detail ?? '';
    for (const secret of ['iVBORw0KGgo', 'X-Amz-Signature', 'selfies/', 'lease-6a1f', 'objectKey']) {
      expect(detail).not.toContain(secret);
    }
  });
});

describe('detail-types', () => {
  it.each(FINAL_STATUSES)('names a %s event by its status', async (status) => {
    await publishFinalTransitions([transition('CHECKING', status)], deps, options);
    expect(sentEntries().flat()[0]?.DetailType).toBe(DETAIL_TYPES[status]);
  });
});

// The edges mutation testing found unpinned: sizes, retryable codes, metrics and odd stream records.

const passed = (checkId: string, overrides: Partial<CheckItem> = {}) =>
  finalCheckItem('PASSED', { checkId, ...overrides });
/** A MODIFY of check `checkId` from `from` to PASSED. */
const passedTransition = (checkId: string, from: CheckStatus = 'CHECKING') =>
  streamRecord('MODIFY', {
    old: { ...passed(checkId), status: from, result: undefined, decidedAt: undefined },
    new: passed(checkId),
  });
const metricCalls = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name);

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
      const response = await publishFinalTransitions([passedTransition('c1')], deps, options);
      expect(response.batchItemFailures).toEqual([]);
      expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 2);
    },
  );

  it('reports an entry answered with neither an event id nor an error code as failed', async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });
    const record = passedTransition('c1');
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
    await publishFinalTransitions([passedTransition('c1')], deps, options);
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
    const response = await publishFinalTransitions(
      [passedTransition('c1'), passedTransition('c2')],
      deps,
      options,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(
      'putevents entries will be retried',
      expect.objectContaining({ errorCodes: ['IncompletePutEventsResult'] }),
    );
  });

  it('retries an answer that lists no entries at all, never taking it for published', async () => {
    eventBridgeMock.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0 }).callsFake(acceptAll);
    const response = await publishFinalTransitions([passedTransition('c1')], deps, options);
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
    await publishFinalTransitions([passedTransition('c1')], deps, options);
    expect(sleep.mock.calls).toEqual([[100], [200]]);
  });

  it('publishes an entry of exactly the size limit, and fills a call up to exactly the limit', async () => {
    const first = passed('c1');
    const size = putEventsEntrySize(toPutEventsEntry(buildEventDetail(first), options));
    await publishFinalTransitions([passedTransition('c1')], deps, { ...options, maxRequestBytes: size });
    expect(eventBridgeMock).toReceiveCommandTimes(PutEventsCommand, 1);

    eventBridgeMock.resetHistory();
    const second = putEventsEntrySize(toPutEventsEntry(buildEventDetail(passed('c2')), options));
    await publishFinalTransitions([passedTransition('c1'), passedTransition('c2')], deps, {
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
    await publishFinalTransitions([passedTransition('c1'), notFinal], deps, options);
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
