/**
 * What an app does with the pipeline's API: ask for an upload, upload the selfie with the presigned
 * POST, and poll the check until it is final. Used by `npm run check`, the demo, the end-to-end tests
 * and the benchmarks.
 */

/** The answer of `POST /checks`. */
export interface IssuedCheck {
  checkId: string;
  status: 'AWAITING_UPLOAD';
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxBytes: number };
}

/** The answer of `GET /checks/{checkId}`. */
export interface CheckView {
  checkId: string;
  status: string;
  reference?: string;
  device?: string;
  createdAt: string;
  updatedAt: string;
  decidedAt?: string;
  result?: Record<string, unknown>;
  rejection?: { code?: number; reason: string; message?: string; source: string };
  failure?: { reason: string; message: string };
}

const FINAL = new Set(['PASSED', 'REJECTED', 'FAILED', 'EXPIRED']);

/** `POST /checks`. */
export async function issueCheck(
  apiUrl: string,
  request: { device?: string; reference?: string; contentType?: string } = {},
): Promise<IssuedCheck> {
  const response = await fetch(`${apiUrl}/checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (response.status !== 201)
    throw new Error(`POST /checks answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as IssuedCheck;
}

/** Uploads bytes with the presigned POST, as a browser form would. */
export async function uploadSelfie(
  issued: IssuedCheck,
  bytes: Uint8Array,
  contentType: string,
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(issued.upload.fields)) form.append(name, value);
  form.append('file', new Blob([bytes], { type: contentType }), 'selfie');
  const response = await fetch(issued.upload.url, { method: 'POST', body: form });
  if (!response.ok) throw new Error(`the upload answered ${response.status}`);
}

/** `GET /checks/{checkId}`. */
export async function readCheck(apiUrl: string, checkId: string): Promise<CheckView> {
  const response = await fetch(`${apiUrl}/checks/${encodeURIComponent(checkId)}`);
  if (!response.ok) throw new Error(`GET /checks/${checkId} answered ${response.status}`);
  return (await response.json()) as CheckView;
}

/** Polls until the check is final, or throws after `timeoutMs`. */
export async function waitForFinal(
  apiUrl: string,
  checkId: string,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<CheckView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const check = await readCheck(apiUrl, checkId);
    if (FINAL.has(check.status)) return check;
    if (Date.now() > deadline)
      throw new Error(`check ${checkId} is still ${check.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Issues a check, uploads the selfie and waits for the verdict. */
export async function checkSelfie(
  apiUrl: string,
  bytes: Uint8Array,
  options: { device?: string; reference?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<CheckView> {
  const contentType = options.contentType ?? sniffContentType(bytes);
  const issued = await issueCheck(apiUrl, {
    contentType,
    ...(options.device ? { device: options.device } : {}),
    ...(options.reference ? { reference: options.reference } : {}),
  });
  await uploadSelfie(issued, bytes, contentType);
  return await waitForFinal(apiUrl, issued.checkId, options.timeoutMs);
}

/** `image/png` for PNG magic bytes, otherwise `image/jpeg` (the pipeline's pre-check decides the rest). */
export function sniffContentType(bytes: Uint8Array): 'image/png' | 'image/jpeg' {
  return bytes[0] === 0x89 && bytes[1] === 0x50 ? 'image/png' : 'image/jpeg';
}
