/** The simulator's HTTP plumbing, as Django REST framework would do it: bodies, forms and replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
// undici's own Response (not the global one) so multipart parsing is the same on every Node version.
import { Response } from 'undici';

const MAX_BODY_BYTES = 20 * 1024 * 1024;
export const TRUE_VALUES = new Set(['true', 'True', 'TRUE', '1', 'on', 'yes']);
export const FALSE_VALUES = new Set(['false', 'False', 'FALSE', '0', 'off', 'no']);

export type Form = Map<string, string | File>;
export type Reply = { status: number; body: unknown } | { status: number; text: string; contentType: string };

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a form body the way DRF's parsers would: multipart, urlencoded or JSON. */
export async function parseForm(contentType: string | undefined, raw: Buffer): Promise<Form | undefined> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const form: Form = new Map();
  if (type === 'multipart/form-data') {
    try {
      const data = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
      for (const [name, value] of data.entries()) if (!form.has(name)) form.set(name, value as string | File);
      return form;
    } catch {
      return undefined;
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(raw.toString('utf8')))
      if (!form.has(name)) form.set(name, value);
    return form;
  }
  if (type === 'application/json') {
    try {
      const value = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      for (const [name, field] of Object.entries(value)) if (typeof field === 'string') form.set(name, field);
      return form;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function requireFields(form: Form, names: string[]): Record<string, string[]> | undefined {
  const errors: Record<string, string[]> = {};
  for (const name of names) {
    const value = form.get(name);
    if (typeof value !== 'string' || value === '') errors[name] = ['This field is required.'];
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

export function unsupported(req: IncomingMessage): Reply {
  return {
    status: 415,
    body: { detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` },
  };
}

export function defaultStatus(status: number): Reply {
  if (status === 401) {
    return {
      status,
      body: {
        detail: 'Given token not valid for any token type',
        code: 'token_not_valid',
        messages: [
          { token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' },
        ],
      },
    };
  }
  if (status === 429)
    return { status, body: { detail: 'Request was throttled. Expected available in 1 second.' } };
  if (status >= 500) {
    return { status, contentType: 'text/html', text: `<h1>Server Error (${status})</h1>` };
  }
  return { status, body: { detail: `scripted status ${status}` } };
}

export function bodyReply(status: number, body: unknown): Reply {
  return typeof body === 'string' ? { status, contentType: 'text/plain', text: body } : { status, body };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const text = 'text' in reply ? reply.text : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'text' in reply ? reply.contentType : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function isTrue(value: string | File | undefined): boolean {
  return typeof value === 'string' && TRUE_VALUES.has(value);
}
