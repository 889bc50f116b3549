import { describe, expect, it } from 'vitest';
import { toCheckView } from '../../../functions/api/check-view.js';
import type { CheckItem } from '../../../shared/check.js';

const DECIDED: CheckItem = {
  checkId: '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01',
  status: 'PASSED',
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:05.000Z',
  decidedAt: '2026-11-25T10:00:05.000Z',
  result: { valid: true, transactionId: 'txn-1', score: 2.65, quality: 0.9, liveness: 0.97 },
} as unknown as CheckItem;

describe('toCheckView', () => {
  it('shows a decided verdict, with scores for services only', () => {
    expect(toCheckView(DECIDED, { kind: 'service' })).toMatchObject({
      status: 'PASSED',
      decidedAt: DECIDED.decidedAt,
      result: { transactionId: 'txn-1', score: 2.65 },
    });
    const user = toCheckView(DECIDED, { kind: 'user' });
    expect(user.status).toBe('PASSED');
    expect(user.result).not.toHaveProperty('score');
  });

  it.each(['PASSED', 'REJECTED', 'FAILED', 'EXPIRED'] as const)(
    'never shows a %s that no decider wrote (no decidedAt) as a verdict',
    (status) => {
      const { decidedAt: _decidedAt, ...unattested } = DECIDED;
      const item = {
        ...unattested,
        status,
        rejection: { reason: 'SPOOF_DETECTED' },
        failure: { reason: 'INTERNAL_ERROR' },
      } as unknown as CheckItem;
      for (const kind of ['user', 'service'] as const) {
        const view = toCheckView(item, { kind });
        expect(view.status).toBe('CHECKING');
        expect(view).not.toHaveProperty('result');
        expect(view).not.toHaveProperty('rejection');
        expect(view).not.toHaveProperty('failure');
        expect(view).not.toHaveProperty('decidedAt');
      }
    },
  );
});
