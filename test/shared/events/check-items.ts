import type { CheckItem, FinalStatus } from '../../../shared/check.js';

const base: CheckItem = {
  checkId: '5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69',
  status: 'CHECKING',
  version: 3,
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:07.412Z',
  device: 'IOS',
  reference: 'order-4711',
  owner: 'user-7f3a',
  contentType: 'image/jpeg',
  bucket: 'selfies-bucket',
  objectKey: 'selfies/5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69',
  objectSize: 48213,
  attempts: 1,
  leaseExpiresAt: 1_795_600_000_000,
  leaseId: 'lease-6a1f',
  expiresAt: 1_796_000_000,
};

/** A final check item of each status with every optional field the contract can carry. */
export function finalCheckItem(status: FinalStatus, overrides: Partial<CheckItem> = {}): CheckItem {
  const decided = { ...base, status, decidedAt: '2026-11-25T10:00:07.412Z', version: 4 };
  switch (status) {
    case 'PASSED':
      return {
        ...decided,
        result: { valid: true, transactionId: 'tx-8c1f2a', score: 0.98, quality: 0.91, liveness: 0.97 },
        ...overrides,
      };
    case 'REJECTED':
      return {
        ...decided,
        result: { valid: false, transactionId: 'tx-7d0e1b', score: 0.12, quality: 0.8, liveness: 0.05 },
        rejection: { code: 700, reason: 'FACE_TOO_CLOSE', message: 'Face to close.', source: 'apptenticate' },
        ...overrides,
      };
    case 'FAILED':
      return {
        ...decided,
        attempts: 5,
        failure: { reason: 'VENDOR_UNAVAILABLE', message: 'liveness API answered HTTP 503 on every attempt' },
        ...overrides,
      };
    case 'EXPIRED': {
      const { device: _d, objectKey: _k, objectSize: _s, leaseId: _l, leaseExpiresAt: _e, ...rest } = decided;
      return { ...rest, device: 'ANDROID', attempts: 0, ...overrides };
    }
  }
}
