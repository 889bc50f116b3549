/**
 * A `multipart/form-data` body laid out byte for byte as undici encodes a `FormData` (the same part
 * headers, escaping and trailing CRLF), except that a file part's bytes are sent as they are. A
 * `FormData` needs them in a `Blob`, which copies them (2 MiB per selfie at the size limit), and
 * streams them through undici's fetch body machinery: both cost memory and time per selfie (bench/README.md).
 */
import { randomInt } from 'node:crypto';

/** One field of the form: a string value, or a file. */
export type MultipartField =
  | { name: string; value: string }
  | { name: string; fileName: string; contentType: string; bytes: Uint8Array };

/** An encoded body: its `content-type` header, its length, and its chunks in order (file bytes uncopied). */
export interface MultipartBody {
  contentType: string;
  length: number;
  chunks: readonly Uint8Array[];
}

const encoder = new TextEncoder();
const CRLF = encoder.encode('\r\n');

// As undici (from formdata-polyfill): names and file names cannot break out of their quotes.
const escapeQuoted = (text: string) => text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
const normalizeLinefeeds = (text: string) => text.replace(/\r?\n|\r/g, '\r\n');

/** A boundary in undici's form: it cannot occur in a selfie by chance often enough to matter. */
export function randomBoundary(): string {
  return `----formdata-undici-0${`${randomInt(1e11)}`.padStart(11, '0')}`;
}

/** Encodes `fields` in order. */
export function encodeMultipart(
  fields: readonly MultipartField[],
  boundary: string = randomBoundary(),
): MultipartBody {
  const prefix = `--${boundary}\r\nContent-Disposition: form-data`;
  const chunks: Uint8Array[] = [];
  for (const field of fields) {
    const name = escapeQuoted(normalizeLinefeeds(field.name));
    if ('value' in field) {
      chunks.push(encoder.encode(`${prefix}; name="${name}"\r\n\r\n${normalizeLinefeeds(field.value)}\r\n`));
    } else {
      const fileName = field.fileName ? `; filename="${escapeQuoted(field.fileName)}"` : '';
      const type = field.contentType || 'application/octet-stream';
      chunks.push(encoder.encode(`${prefix}; name="${name}"${fileName}\r\nContent-Type: ${type}\r\n\r\n`));
      chunks.push(field.bytes, CRLF);
    }
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0),
    chunks,
  };
}
