/**
 * Notifier duration per stream batch (for the cost model): a full batch of final transitions through
 * the notifier's real code, EventBridge answered in process by `FakeAws` at zero latency.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import { publishFinalTransitions } from '../functions/notifier/notifier.js';
import { DEFAULT_SETTINGS } from '../infra/settings.js';
import { systemClock } from '../shared/clock.js';
import { createLogger, createMetrics } from '../shared/observability.js';
import { PROJECT_ROOT } from './lib/bundle.js';
import { withCapturedStdout } from './lib/checker-harness.js';
import { FakeAws } from './lib/fake-aws.js';
import { printTable, quantile, round } from './lib/stats.js';

export interface NotifierResult {
  batchSize: number;
  batches: number;
  batchP50Ms: number;
  batchP99Ms: number;
  putEventsCallsPerEvent: number;
  logBytesPerEvent: number;
}

export async function benchNotifier(batches = 40): Promise<NotifierResult> {
  const fixture = JSON.parse(
    readFileSync(`${PROJECT_ROOT}test/fixtures/dynamodb-stream/final-transitions.json`, 'utf8'),
  ) as { Records: DynamoDBRecord[] };
  // CHECKING -> PASSED: the common final transition.
  const template = fixture.Records.find(
    (r) => r.eventName === 'MODIFY' && r.dynamodb?.NewImage?.status?.S === 'PASSED',
  ) as DynamoDBRecord;
  const batchSize = DEFAULT_SETTINGS.notifier.batchSize;
  const makeBatch = () =>
    Array.from({ length: batchSize }, () => {
      const record = structuredClone(template);
      const id = randomUUID();
      const image = record.dynamodb as NonNullable<DynamoDBRecord['dynamodb']>;
      image.Keys = { checkId: { S: id } };
      if (image.NewImage) image.NewImage.checkId = { S: id };
      if (image.OldImage) image.OldImage.checkId = { S: id };
      return record;
    });
  const fake = new FakeAws();
  const deps = {
    eventBridge: fake.clients().eventBridge,
    logger: createLogger('notifier'),
    metrics: createMetrics('notifier'),
    clock: systemClock,
  };
  const options = { eventBusName: 'bench-bus', eventSource: DEFAULT_SETTINGS.eventSource };
  const run = async (records: DynamoDBRecord[]) => {
    try {
      const response = await publishFinalTransitions(records, deps, options);
      if (response.batchItemFailures.length > 0) throw new Error('the notifier reported failures');
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
  await withCapturedStdout(() => run(makeBatch())); // warm up
  fake.resetCounts();
  const times: number[] = [];
  const captured = await withCapturedStdout(async () => {
    for (let i = 0; i < batches; i++) {
      const records = makeBatch();
      const started = performance.now();
      await run(records);
      times.push(performance.now() - started);
    }
  });
  const events = batches * batchSize;
  const result: NotifierResult = {
    batchSize,
    batches,
    batchP50Ms: round(quantile(times, 0.5), 2),
    batchP99Ms: round(quantile(times, 0.99), 2),
    putEventsCallsPerEvent: round((fake.counts.PutEvents ?? 0) / events, 3),
    logBytesPerEvent: Math.round(captured.bytes / events),
  };
  printTable('Notifier: one stream batch of final transitions (EventBridge in process)', [
    {
      'batch size': batchSize,
      batches,
      'batch p50 ms': result.batchP50Ms,
      'batch p99 ms': result.batchP99Ms,
      'PutEvents calls/event': result.putEventsCallsPerEvent,
      'log+EMF bytes/event': result.logBytesPerEvent,
    },
  ]);
  return result;
}
