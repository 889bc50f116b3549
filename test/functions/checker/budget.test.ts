import { describe, expect, it } from 'vitest';
import {
  AWS_BEFORE_VENDOR_MS,
  OUTCOME_WRITE_MARGIN_MS,
  recordBudgetMs,
  recordStartMs,
  VENDOR_CALLS_PER_RECORD,
  vendorCallMs,
} from '../../../functions/checker/budget.js';

describe('the time one record may take', () => {
  const timeouts = { vendorConnectTimeoutMs: 1_500, vendorResponseTimeoutMs: 4_000 };

  it('allows one vendor call its connect and its response time together', () => {
    expect(vendorCallMs(timeouts)).toBe(5_500);
  });

  it('gives a record 5 s of AWS before the vendor and four whole vendor calls', () => {
    expect(AWS_BEFORE_VENDOR_MS).toBe(5_000);
    expect(VENDOR_CALLS_PER_RECORD).toBe(4);
    expect(recordBudgetMs(timeouts)).toBe(5_000 + 4 * 5_500);
  });

  it('starts a record only with its budget and 5 s for the outcome write still left', () => {
    expect(OUTCOME_WRITE_MARGIN_MS).toBe(5_000);
    expect(recordStartMs(timeouts)).toBe(5_000 + 4 * 5_500 + 5_000);
  });
});
