import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as client from '../../client/index.js';
import { type HintedReason, REASON_HINTS, reasonForError } from '../../client/index.js';
import { IMAGE_REFUSAL_REASONS } from '../../shared/apptenticate/codes.js';
import { FAILURE_REASONS, PRECHECK_REASONS } from '../../shared/check.js';
import { REJECTION_REASON_BY_CODE } from '../../shared/events/index.js';

const DOC = new URL('../../docs/apps.md', import.meta.url);
const BEGIN = '<!-- reason-hints:begin -->';
const END = '<!-- reason-hints:end -->';

const APP_SITUATIONS: Record<string, string> = {
  CAMERA_DENIED: 'the app: the camera refused (`NotAllowedError`)',
  CAMERA_NOT_FOUND: 'the app: no camera (`NotFoundError`)',
  CAMERA_BUSY: 'the app: the camera in use (`NotReadableError`)',
  CAMERA_UNAVAILABLE: 'the app: no camera access in this browser or page',
  CHECK_NOT_FOUND: 'the app: `CheckNotFoundError` (404)',
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
  const rows = Object.entries(REASON_HINTS).map(([reason, hint]) => {
    const photo = 'photo' in hint ? `${hint.photo.action}: **${hint.photo.title}.** ${hint.photo.text}` : '';
    return `| \`${reason}\` | ${when(reason)} | ${hint.action} | **${hint.title}.** ${hint.text} | ${photo} |`;
  });
  return [
    '| reason | when | action | what the person sees | after a chosen photo, if other |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
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

describe('docs/apps.md on the client', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('imports the client by its package entry, never from a clone', () => {
    const imports = [...doc.matchAll(/^import .* from '([^']+)';/gm)].map((m) => m[1]);
    expect(imports.filter((from) => from?.includes('client'))).toEqual([
      'selfie-liveness-pipeline/client',
      'selfie-liveness-pipeline/client',
    ]);
    expect(doc).not.toContain("'./client/");
  });

  it('shows for each error the reason reasonForError gives it', () => {
    const rows = [...doc.matchAll(/^\| `(\w+Error)`[^|]*\|[^|]*\|[^|]*\| `([A-Z_]+)`/gm)];
    const samples: Record<string, unknown> = {
      InvalidRequestError: new client.InvalidRequestError(400, 'INVALID_DEVICE', 'm'),
      NotAuthorizedError: new client.NotAuthorizedError(401, 'UNAUTHENTICATED', 'm'),
      CheckNotFoundError: new client.CheckNotFoundError(404, 'CHECK_NOT_FOUND', 'm'),
      RouteNotFoundError: new client.RouteNotFoundError(404, 'NOT_FOUND', 'm'),
      RateLimitedError: new client.RateLimitedError(429, 'OWNER_RATE_LIMITED', 'm', 1000),
      ServiceUnavailableError: new client.ServiceUnavailableError(503, 'SERVICE_UNAVAILABLE', 'm', 1000),
      ApiServerError: new client.ApiServerError(500, 'INTERNAL_ERROR', 'm'),
      NetworkError: new client.NetworkError('m'),
      UploadRejectedError: new client.UploadRejectedError(403, 'AccessDenied'),
      UploadExpiredError: new client.UploadExpiredError('2026-12-04T10:00:00Z'),
      VerdictTimeoutError: new client.VerdictTimeoutError('id', 'CHECKING'),
    };
    const shown = Object.fromEntries(rows.map((m) => [m[1], m[2]]));
    expect(Object.keys(shown).sort()).toEqual(Object.keys(samples).sort());
    for (const [name, error] of Object.entries(samples))
      expect([name, shown[name]]).toEqual([name, reasonForError(error)]);
  });
});
