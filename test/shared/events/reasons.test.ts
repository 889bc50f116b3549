import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REJECTION_CODES } from '../../../shared/apptenticate/codes.js';
import { FAILURE_REASONS, PRECHECK_REASONS } from '../../../shared/check.js';
import {
  isKnownFailureReason,
  isKnownRejectionReason,
  KNOWN_FAILURE_REASONS,
  KNOWN_REJECTION_REASONS,
  REJECTION_REASON_BY_CODE,
} from '../../../shared/events/index.js';

const docs = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');

/** The reason names a paragraph of docs/events.md lists (backticked upper-snake names). */
function namesInParagraph(start: string): string[] {
  const paragraph = docs.slice(docs.indexOf(start)).split('\n\n')[0] ?? '';
  return [...new Set([...paragraph.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name as string))];
}

describe('the known reason names', () => {
  it('name every documented Apptenticate code as the checker records it', () => {
    for (const [code, { reason }] of Object.entries(REJECTION_CODES)) {
      expect(REJECTION_REASON_BY_CODE[Number(code)]).toBe(reason);
    }
    expect(Object.keys(REJECTION_REASON_BY_CODE)).toHaveLength(16);
  });

  it('list every rejection the pipeline records: vendor codes, unknown codes, refused files, the pre-check', () => {
    for (const reason of [
      ...Object.values(REJECTION_CODES).map((entry) => entry.reason),
      'UNKNOWN_CODE',
      'IMAGE_REFUSED',
      ...PRECHECK_REASONS,
    ]) {
      expect(isKnownRejectionReason(reason), reason).toBe(true);
    }
    expect(new Set(KNOWN_REJECTION_REASONS).size).toBe(KNOWN_REJECTION_REASONS.length);
    expect(isKnownRejectionReason('VENDOR_UNAVAILABLE')).toBe(false);
  });

  it('list every failure the pipeline records, and nothing else', () => {
    expect(KNOWN_FAILURE_REASONS).toEqual([...FAILURE_REASONS]);
    expect(isKnownFailureReason('LEASE_EXPIRED')).toBe(true);
    expect(isKnownFailureReason('FACE_TOO_CLOSE')).toBe(false);
  });

  it('fit the schema: upper snake case, at most 64 characters', () => {
    for (const reason of [...KNOWN_REJECTION_REASONS, ...KNOWN_FAILURE_REASONS]) {
      expect(reason).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(reason.length).toBeLessThanOrEqual(64);
    }
  });

  it('are the ones docs/events.md lists', () => {
    expect(namesInParagraph('Rejection reasons:').sort()).toEqual([...KNOWN_REJECTION_REASONS].sort());
    expect(namesInParagraph('Failure reasons:').sort()).toEqual([...KNOWN_FAILURE_REASONS].sort());
  });
});
