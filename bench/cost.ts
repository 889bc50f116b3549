/**
 * Cost per million checks: a model in code from the stack's settings (memory sizes, batch sizes)
 * and the measured durations and call counts, priced with the AWS list prices below. The vendor's
 * own price is excluded. Fixed monthly costs (secrets, the KMS key, alarms, dashboard) are listed
 * apart: they do not grow with checks.
 */
import { DEFAULT_MEMORY_MIB } from '../infra/liveness-pipeline-props.js';
import { DEFAULT_SETTINGS } from '../infra/settings.js';
import { printTable, round } from './lib/stats.js';

/** us-east-1 list prices, USD. Assumed as of 2026-11 from the AWS pricing pages: verify before quoting. */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-11 (assumed; list prices as published, verify on the AWS pricing pages)',
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  httpApiPerMillionRequests: 1.0,
  sqsStandardPerMillionRequests: 0.4,
  dynamoDbPerMillionWriteRequestUnits: 0.625,
  dynamoDbPerMillionReadRequestUnits: 0.125,
  /** GetRecords calls Lambda makes for a DynamoDB stream trigger are not charged. */
  dynamoDbStreamReadsByLambdaPerMillion: 0,
  s3PutPostPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  s3DeletePerThousand: 0,
  eventBridgeCustomEventsPerMillion: 1.0,
  secretsManagerPer10kApiCalls: 0.05,
  kmsPer10kRequests: 0.03,
  cloudWatchLogsIngestionPerGb: 0.5,
  /** Fixed, per month. */
  secretsManagerPerSecretMonth: 0.4,
  kmsPerKeyMonth: 1.0,
} as const;

/** The measured inputs of the model. */
export interface CostInputs {
  checkerBatchMs: number;
  /** One check alone in an invocation: vendor call p50 + checker overhead p50. */
  checkerSingleMs: number;
  notifierBatchMs: number;
  apiMs: number;
  /** Secrets Manager reads per 1,000 checks (each also a KMS Decrypt: the secret uses the pipeline's key). */
  secretsManagerReadsPer1000: number;
  checkerLogBytesPerCheck: number;
  notifierLogBytesPerCheck: number;
  putEventsEntriesPerCheck: number;
}

/** Assumptions that are not measured here. */
export const ASSUMPTIONS = {
  /** Lambda's START/END/REPORT lines per invocation. */
  platformLogBytesPerInvocation: 350,
  /** The api's log lines per request (not measured: the api runs at ERROR level in the bench). */
  apiLogBytesPerRequest: 300,
  /** DynamoDB items stay under 1 KB, so every write is 1 WRU. */
  itemKb: 1,
  /** Batches arrive full (steady load); at a trickle each check is its own invocation (see `trickle`). */
  fullBatches: true,
  /** App polls of GET /checks per check (apps should listen to events instead). */
  statusPollsPerCheck: 0,
  /**
   * The api's per-owner limit counters written per check (decision 8): a check created for a user
   * (a JWT, the capture page's flow) adds to its owner's minute counter, open-check set and day
   * counter, and to the installation's daily budget, 4 writes; a check created by a backend under
   * IAM to the minute counter and the budget, 2 writes. Users are assumed.
   * Clearing a user's full open-check set (reads of its checks and one more write) happens only
   * when a user keeps 3 checks open, and is left out.
   */
  ownerLimitWritesPerCheck: 4,
} as const;

export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostResult {
  prices: typeof PRICES;
  assumptions: typeof ASSUMPTIONS;
  inputs: CostInputs;
  settings: { checker: object; notifier: object; api: object };
  perMillion: CostLine[];
  totalUsdPerMillion: number;
  byService: Record<string, number>;
  /** The same million checks at a trickle: one check per checker and notifier invocation. */
  trickleTotalUsdPerMillion: number;
  fixedMonthlyUsd: number;
}

const M = 1_000_000;

function model(inputs: CostInputs, checksPerCheckerInvocation: number, eventsPerNotifierInvocation: number) {
  const p = PRICES;
  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, usd: number) =>
    lines.push({
      service,
      item,
      quantity: quantity < 100 ? round(quantity, 2) : Math.round(quantity),
      unit,
      usd,
    });
  const gbs = (memoryMb: number, ms: number) => (memoryMb / 1024) * (Math.ceil(ms) / 1000);

  const checkerInvocations = M / checksPerCheckerInvocation;
  const notifierInvocations = M / eventsPerNotifierInvocation;
  const apiInvocations = M * (1 + ASSUMPTIONS.statusPollsPerCheck);
  const invocations = checkerInvocations + notifierInvocations + apiInvocations;
  add(
    'Lambda',
    'requests (api + checker + notifier)',
    invocations,
    'requests',
    (invocations / M) * p.lambdaPerMillionRequests,
  );
  const checkerMs = checksPerCheckerInvocation === 1 ? inputs.checkerSingleMs : inputs.checkerBatchMs;
  const checkerGbs = checkerInvocations * gbs(DEFAULT_MEMORY_MIB.checker, checkerMs);
  add(
    'Lambda',
    `checker ${DEFAULT_MEMORY_MIB.checker} MB x ${Math.ceil(checkerMs)} ms per invocation`,
    checkerGbs,
    'GB-s',
    checkerGbs * p.lambdaArmPerGbSecond,
  );
  const notifierGbs = notifierInvocations * gbs(DEFAULT_MEMORY_MIB.notifier, inputs.notifierBatchMs);
  add(
    'Lambda',
    `notifier ${DEFAULT_MEMORY_MIB.notifier} MB x ${Math.ceil(inputs.notifierBatchMs)} ms`,
    notifierGbs,
    'GB-s',
    notifierGbs * p.lambdaArmPerGbSecond,
  );
  const apiGbs = apiInvocations * gbs(DEFAULT_MEMORY_MIB.api, inputs.apiMs);
  add(
    'Lambda',
    `api ${DEFAULT_MEMORY_MIB.api} MB x ${Math.ceil(inputs.apiMs)} ms`,
    apiGbs,
    'GB-s',
    apiGbs * p.lambdaArmPerGbSecond,
  );
  add(
    'API Gateway',
    'HTTP API requests (POST /checks)',
    apiInvocations,
    'requests',
    (apiInvocations / M) * p.httpApiPerMillionRequests,
  );

  // S3 sends one message per object; Lambda receives a batch and deletes it with one batch call.
  const sqs = M + 2 * checkerInvocations;
  add(
    'SQS',
    'SendMessage (S3) + ReceiveMessage + DeleteMessageBatch',
    sqs,
    'requests',
    (sqs / M) * p.sqsStandardPerMillionRequests,
  );

  // create (api), claim, verdict: 3 table writes. The sparse KEYS_ONLY sweep index is written twice:
  // a put on create and a delete on the verdict; the claim leaves the entry's keys as they are, which
  // costs the index nothing (decision 13). And the api's per-owner limit counters.
  const tableAndIndex = M * (3 + 2) * ASSUMPTIONS.itemKb;
  add(
    'DynamoDB',
    'writes: 3 table writes + 2 sweep-index writes per check',
    tableAndIndex,
    'WRU',
    (tableAndIndex / M) * p.dynamoDbPerMillionWriteRequestUnits,
  );
  const limits = M * ASSUMPTIONS.ownerLimitWritesPerCheck * ASSUMPTIONS.itemKb;
  add(
    'DynamoDB',
    `writes: the owner's limit counters, ${ASSUMPTIONS.ownerLimitWritesPerCheck} per check created for a user`,
    limits,
    'WRU',
    (limits / M) * p.dynamoDbPerMillionWriteRequestUnits,
  );
  const rru = M * ASSUMPTIONS.statusPollsPerCheck;
  add(
    'DynamoDB',
    'reads: app status polls (none assumed)',
    rru,
    'RRU',
    (rru / M) * p.dynamoDbPerMillionReadRequestUnits,
  );
  add('DynamoDB', 'stream reads by the Lambda trigger (free)', notifierInvocations, 'GetRecords', 0);

  add('S3', 'POST uploads', M, 'requests', (M / 1000) * p.s3PutPostPerThousand);
  add('S3', 'GET by the checker', M, 'requests', (M / 1000) * p.s3GetPerThousand);
  add('S3', 'DELETE after the verdict (free)', M, 'requests', 0);

  const events = M * inputs.putEventsEntriesPerCheck;
  add(
    'EventBridge',
    'custom events (one per check)',
    events,
    'events',
    (events / M) * p.eventBridgeCustomEventsPerMillion,
  );

  const reads = (M / 1000) * inputs.secretsManagerReadsPer1000;
  add(
    'Secrets Manager',
    'GetSecretValue (token cache misses, 10 containers)',
    reads,
    'calls',
    (reads / 10_000) * p.secretsManagerPer10kApiCalls,
  );
  // The token secret is encrypted with the pipeline's key; the bucket uses an S3 Bucket Key, which
  // makes its KMS calls per bucket key rather than per object (neglected).
  add('KMS', 'Decrypt for each token secret read', reads, 'requests', (reads / 10_000) * p.kmsPer10kRequests);

  const logBytes =
    M *
      (inputs.checkerLogBytesPerCheck + inputs.notifierLogBytesPerCheck + ASSUMPTIONS.apiLogBytesPerRequest) +
    invocations * ASSUMPTIONS.platformLogBytesPerInvocation;
  add(
    'CloudWatch Logs',
    'ingestion (logs + EMF metrics + platform lines)',
    logBytes / 1e9,
    'GB',
    (logBytes / 1e9) * p.cloudWatchLogsIngestionPerGb,
  );
  return lines;
}

export function costModel(inputs: CostInputs): CostResult {
  const s = DEFAULT_SETTINGS;
  const perMillion = model(inputs, s.checker.batchSize, s.notifier.batchSize);
  const total = perMillion.reduce((sum, l) => sum + l.usd, 0);
  const byService: Record<string, number> = {};
  for (const line of perMillion)
    byService[line.service] = round((byService[line.service] ?? 0) + line.usd, 4);
  const trickle = model(inputs, 1, 1).reduce((sum, l) => sum + l.usd, 0);
  const fixed = 2 * PRICES.secretsManagerPerSecretMonth + PRICES.kmsPerKeyMonth;

  printTable(`Cost per 1,000,000 checks (${PRICES.region}, prices ${PRICES.asOf}; vendor price excluded)`, [
    ...perMillion.map((l) => ({
      service: l.service,
      item: l.item,
      quantity: l.quantity,
      unit: l.unit,
      USD: round(l.usd, 3),
    })),
    { service: 'TOTAL', item: 'full batches (steady load)', quantity: '', unit: '', USD: round(total, 2) },
    {
      service: 'TOTAL',
      item: 'at a trickle (1 check per invocation)',
      quantity: '',
      unit: '',
      USD: round(trickle, 2),
    },
    {
      service: 'fixed',
      item: '2 secrets + 1 KMS key per month',
      quantity: '',
      unit: '',
      USD: round(fixed, 2),
    },
  ]);
  return {
    prices: PRICES,
    assumptions: ASSUMPTIONS,
    inputs,
    settings: { checker: s.checker, notifier: s.notifier, api: s.api },
    perMillion: perMillion.map((l) => ({ ...l, usd: round(l.usd, 4) })),
    totalUsdPerMillion: round(total, 2),
    byService,
    trickleTotalUsdPerMillion: round(trickle, 2),
    fixedMonthlyUsd: round(fixed, 2),
  };
}
