/**
 * Signed calls to the AWS APIs the ops tool needs beyond the SDK clients the project depends on:
 * CloudFormation and CloudWatch (query protocol, XML answers) and CloudWatch Logs (JSON 1.1).
 * Credentials and region come from the SDK's default chain (see `clients.ts`).
 */
import { type SigningCredentials, signRequest } from './sigv4.js';

/** The services called through this module, by their signing name. */
export type ExtraService = 'cloudformation' | 'monitoring' | 'logs';

/** What a call needs: where, as whom, and (for tests) which fetch and clock. */
export interface AwsApiOptions {
  region: string;
  credentials: () => Promise<SigningCredentials>;
  /** The endpoint of each service: an override (a local AWS, `AWS_ENDPOINT_URL_*`) or AWS's own. */
  endpoint: (service: ExtraService) => string;
  now?: () => Date;
}

/** An error answer of an AWS API, by its code (`ValidationError`, `ResourceNotFoundException`, ...). */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'AwsApiError';
  }
}

/** The versions of the query APIs called. */
const QUERY_VERSIONS: Record<Exclude<ExtraService, 'logs'>, string> = {
  cloudformation: '2010-05-15',
  monitoring: '2010-08-01',
};

/** Signed calls to CloudFormation, CloudWatch and CloudWatch Logs. */
export class AwsApi {
  constructor(private readonly options: AwsApiOptions) {}

  /** A query-protocol action (form-encoded POST); returns the XML answer. */
  async query(
    service: Exclude<ExtraService, 'logs'>,
    action: string,
    params: Record<string, string>,
  ): Promise<string> {
    const body = new URLSearchParams({
      Action: action,
      Version: QUERY_VERSIONS[service],
      ...params,
    }).toString();
    const { status, text } = await this.send(service, body, {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    });
    if (status >= 300) {
      throw new AwsApiError(
        xmlValue(text, 'Code') ?? `HTTP${status}`,
        xmlValue(text, 'Message') ?? 'no message',
        status,
      );
    }
    return text;
  }

  /** A JSON 1.1 action (CloudWatch Logs): `target` is e.g. `Logs_20140328.FilterLogEvents`. */
  async json(service: 'logs', target: string, input: unknown): Promise<unknown> {
    const { status, text } = await this.send(service, JSON.stringify(input), {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
    });
    const answer = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (status >= 300) {
      const type = String(answer.__type ?? `HTTP${status}`);
      throw new AwsApiError(
        type.slice(type.lastIndexOf('#') + 1),
        String(answer.message ?? answer.Message ?? ''),
        status,
      );
    }
    return answer;
  }

  private async send(
    service: ExtraService,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const url = new URL(this.options.endpoint(service));
    const signed = signRequest({
      method: 'POST',
      url,
      headers,
      body,
      service,
      region: this.options.region,
      credentials: await this.options.credentials(),
      now: this.options.now?.() ?? new Date(),
    });
    // `host` is set by fetch itself (and must not be sent twice).
    const { host: _host, ...send } = signed;
    const response = await fetch(url, { method: 'POST', headers: send, body });
    return { status: response.status, text: await response.text() };
  }
}

/** The text of the first `<tag>` in an XML answer, unescaped; `undefined` without one. */
export function xmlValue(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? unescapeXml(match[1] ?? '') : undefined;
}

/**
 * The inner XML of every outermost `<tag>` element: a `<member>` list whose members hold `<member>`
 * lists of their own (CloudWatch's values) gives only the outer members.
 */
export function xmlBlocks(xml: string, tag: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  let start = 0;
  for (const match of xml.matchAll(new RegExp(`<(/?)${tag}>`, 'g'))) {
    if (match[1] === '') {
      if (depth === 0) start = match.index + match[0].length;
      depth++;
    } else if (depth > 0) {
      depth--;
      if (depth === 0) blocks.push(xml.slice(start, match.index));
    }
  }
  return blocks;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;|&#39;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}
