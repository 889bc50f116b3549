import { afterEach, describe, expect, it, vi } from 'vitest';
import { logVerdict, recordVendorMetrics } from '../../../functions/checker/verdict-metrics.js';
import type { LivenessOutcome } from '../../../shared/apptenticate/outcome.js';
import type { CheckItem } from '../../../shared/check.js';
import { createMetrics } from '../../../shared/observability.js';
import { makeDeps } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function metricsOf(record: (metrics: ReturnType<typeof createMetrics>) => void) {
  const metrics = createMetrics('checker-test');
  const addMetric = vi.spyOn(metrics, 'addMetric');
  record(metrics);
  return addMetric.mock.calls.map(([name, unit, value]) => ({ name, unit, value }));
}

describe('recordVendorMetrics', () => {
  it('counts the call and its latency in whole milliseconds', () => {
    const added = metricsOf((metrics) => recordVendorMetrics({ kind: 'passed' }, 1234.6, metrics));
    expect(added).toEqual([
      { name: 'VendorCalls', unit: 'Count', value: 1 },
      { name: 'VendorLatency', unit: 'Milliseconds', value: 1235 },
    ]);
  });

  // The vendor error-rate alarm divides VendorErrors by VendorCalls: a verdict on the selfie is no error.
  it.each<[string, LivenessOutcome, number]>([
    ['a pass', { kind: 'passed' }, 0],
    ['a rejection code', { kind: 'rejected', code: 700, reason: 'FACE_TOO_CLOSE', httpStatus: 200 }, 0],
    [
      'a refused image',
      { kind: 'image-refused', reason: 'IMAGE_REFUSED', httpStatus: 400, message: 'not an image' },
      0,
    ],
    [
      'transient code 711',
      { kind: 'rejected', code: 711, reason: 'LIVENESS_INTERNAL_ERROR', httpStatus: 200 },
      1,
    ],
    [
      'transient code 712',
      { kind: 'rejected', code: 712, reason: 'LIVENESS_INTERNAL_ERROR', httpStatus: 200 },
      1,
    ],
    [
      'a retryable failure',
      { kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 500, message: 'boom' },
      1,
    ],
    [
      'a terminal failure',
      { kind: 'terminal', reason: 'RESPONSE_INVALID', httpStatus: 200, message: '?' },
      1,
    ],
    ['refused tokens', { kind: 'auth-refused', httpStatus: 401, message: 'refused' }, 1],
  ])('counts %s as %i vendor errors', (_label, outcome, errors) => {
    const added = metricsOf((metrics) => recordVendorMetrics(outcome, 10, metrics));
    expect(added.filter((m) => m.name === 'VendorErrors')).toEqual(
      Array(errors).fill({ name: 'VendorErrors', unit: 'Count', value: 1 }),
    );
    expect(added.filter((m) => m.name === 'VendorCalls')).toHaveLength(1);
  });
});

describe('logVerdict', () => {
  it.each([
    ['PASSED', 'ChecksPassed'],
    ['REJECTED', 'ChecksRejected'],
    ['FAILED', 'ChecksFailed'],
    ['EXPIRED', 'ChecksExpired'],
  ] as const)('counts a check recorded %s as %s', (status, metric) => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    logVerdict({ checkId: 'c', status } as CheckItem, deps.logger, deps.metrics);
    expect(addMetric.mock.calls).toEqual([[metric, 'Count', 1]]);
  });

  it('counts nothing for a check that is not final', () => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    logVerdict({ checkId: 'c', status: 'CHECKING' } as CheckItem, deps.logger, deps.metrics);
    expect(addMetric).not.toHaveBeenCalled();
  });
});
