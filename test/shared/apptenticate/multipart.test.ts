import { FormData, Response } from 'undici';
import { describe, expect, it } from 'vitest';
import { encodeMultipart, randomBoundary } from '../../../shared/apptenticate/multipart.js';

const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);

async function encodedByUndici(form: FormData): Promise<{ type: string; body: Buffer }> {
  const response = new Response(form);
  return {
    type: response.headers.get('content-type') ?? '',
    body: Buffer.from(await response.arrayBuffer()),
  };
}

describe('encodeMultipart', () => {
  it("lays a form out byte for byte as undici's FormData encoding, boundary aside", async () => {
    const form = new FormData();
    form.append('selfie', new Blob([bytes], { type: 'image/png' }), 'a "b"\r\n.png');
    form.append('device', 'IOS');
    form.append('multi\nline', 'x\ny');
    const undici = await encodedByUndici(form);
    const boundary = undici.type.replace('multipart/form-data; boundary=', '');

    const ours = encodeMultipart(
      [
        { name: 'selfie', fileName: 'a "b"\r\n.png', contentType: 'image/png', bytes },
        { name: 'device', value: 'IOS' },
        { name: 'multi\nline', value: 'x\ny' },
      ],
      boundary,
    );

    expect(ours.contentType).toBe(undici.type);
    const body = Buffer.concat(ours.chunks);
    expect(body.equals(undici.body)).toBe(true);
    expect(ours.length).toBe(body.length);
  });

  it('reads back as the same fields with a multipart parser', async () => {
    const body = encodeMultipart([
      { name: 'selfie', fileName: 'x.png', contentType: 'image/png', bytes },
      { name: 'return_id', value: 'true' },
    ]);
    const form = await new Response(Buffer.concat(body.chunks), {
      headers: { 'content-type': body.contentType },
    }).formData();
    const file = form.get('selfie') as File;
    expect(file.name).toBe('x.png');
    expect(file.type).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(form.get('return_id')).toBe('true');
  });

  it("sends a file's bytes as they are, without a copy", () => {
    const body = encodeMultipart([{ name: 'selfie', fileName: 'x.png', contentType: 'image/png', bytes }]);
    expect(body.chunks).toContain(bytes);
  });

  it('draws a fresh boundary each time, in the form undici uses', () => {
    expect(randomBoundary()).toMatch(/^----formdata-undici-0\d{11}$/);
    expect(new Set(Array.from({ length: 20 }, randomBoundary)).size).toBeGreaterThan(1);
  });
});
