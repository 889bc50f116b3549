/**
 * What the ops tool prints, and the last guard that nothing secret is printed. The commands never
 * print a secret value, a token or a presigned URL on purpose; this guard masks anything shaped like
 * one that slips through (a JWT, a signed URL's query, a password field) and every value registered
 * as secret (the new password of a rotation).
 */

/** Where a command writes: a line at a time, already redacted. */
export interface Output {
  line(text?: string): void;
  /** A table: the first row is the header; columns padded to their widest cell. */
  table(rows: readonly (readonly string[])[]): void;
  /** Masks this exact value wherever it would be printed from now on. */
  secret(value: string): void;
}

const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const SIGNED_QUERY =
  /((?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s"']+/gi;
const PASSWORD_FIELD = /("?password"?\s*[:=]\s*"?)[^"\s,}]+/gi;

/** Masks tokens, signed-URL credentials, password fields and the given secret values. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out
    .replace(JWT, '[redacted token]')
    .replace(SIGNED_QUERY, '$1[redacted]')
    .replace(PASSWORD_FIELD, '$1[redacted]');
}

/** An output that writes lines to a function (the console, or a test's array). */
export function createOutput(write: (line: string) => void): Output {
  const secrets = new Set<string>();
  const line = (text = '') => write(redact(text, secrets));
  return {
    line,
    table(rows) {
      const widths: number[] = [];
      for (const row of rows) {
        row.forEach((cell, i) => {
          widths[i] = Math.max(widths[i] ?? 0, cell.length);
        });
      }
      for (const row of rows)
        line(
          row
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd(),
        );
    },
    secret(value) {
      secrets.add(value);
    },
  };
}

/** A duration in words: `42 s`, `7 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
