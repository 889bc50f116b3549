import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type HintedReason, REASON_HINTS } from '../../client/index.js';
import { IMAGE_REFUSAL_REASONS } from '../../shared/apptenticate/codes.js';
import { FAILURE_REASONS, PRECHECK_REASONS } from '../../shared/check.js';
import { REJECTION_REASON_BY_CODE } from '../../shared/events/index.js';

const DOC = new URL('../../docs/apps.md', import.meta.url);
const BEGIN = '<!-- reason-hints:begin -->';
const END = '<!-- reason-hints:end -->';

const APP_SITUATIONS: Record<string, string> = {
  CAMERA_UNAVAILABLE: 'the app: no camera, or its use refused',
  CONNECTION_FAILED: 'the app: `NetworkError`',
  RATE_LIMITED: 'the app: `RateLimitedError` (429)',
  DAILY_LIMIT_REACHED: 'the app: `RateLimitedError` (429 `OWNER_DAILY_LIMITED`)',
  CHECKS_UNAVAILABLE: 'the app: `RateLimitedError` (429 `CHECK_BUDGET_EXHAUSTED`)',
  NOT_SIGNED_IN: 'the app: `NotAuthorizedError` (401, 403)',
  STILL_CHECKING: 'the app: `VerdictTimeoutError`',
};

/** When a person meets a reason, from the lists the pipeline publishes. */
function when(reason: string): string {
  const codes = Object.entries(REJECTION_REASON_BY_CODE).filter(([, name]) => name === reason);
  const sources: string[] = [];
  if (codes.length > 0) sources.push(`\`REJECTED\`, code ${codes.map(([code]) => code).join(', ')}`);
  if (reason === 'UNKNOWN_CODE') sources.push('`REJECTED`, a code the vendor does not document');
  if ((IMAGE_REFUSAL_REASONS as readonly string[]).includes(reason))
    sources.push('`REJECTED`, the vendor refused the file');
  if ((PRECHECK_REASONS as readonly string[]).includes(reason))
    sources.push('`REJECTED` by the pre-check, or `SelfieRejectedError` before upload');
  if ((FAILURE_REASONS as readonly string[]).includes(reason)) sources.push('`FAILED`');
  if (reason === 'EXPIRED') sources.push('`EXPIRED` (status)');
  if (APP_SITUATIONS[reason]) sources.push(APP_SITUATIONS[reason]);
  return sources.join('; ');
}

/** The table docs/apps.md shows, rendered from `REASON_HINTS`. */
function renderTable(): string {
  const rows = Object.entries(REASON_HINTS).map(
    ([reason, hint]) =>
      `| \`${reason}\` | ${when(reason)} | ${hint.action} | **${hint.title}.** ${hint.text} |`,
  );
  return ['| reason | when | action | what the person sees |', '|---|---|---|---|', ...rows].join('\n');
}

describe('docs/apps.md', () => {
  it('shows the reason-to-hint table of client/hints.ts, row for row', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start).toBeGreaterThan(-1);
    const shown = doc.slice(start + BEGIN.length, end).trim();
    // On a difference, the failure shows the table to paste between the markers.
    expect(shown).toBe(renderTable());
  });

  it('says when each reason happens', () => {
    const unexplained = (Object.keys(REASON_HINTS) as HintedReason[]).filter((reason) => when(reason) === '');
    expect(unexplained).toEqual([]);
  });
});
