/**
 * In-process AWS for the checker benchmarks: real SDK clients (serialisation, signing, parsing and
 * retries all run) whose HTTP handler answers at once from memory instead of the network. It plays
 * the checker's happy path: GetObject returns the stored bytes, every UpdateItem is applied (its
 * condition is taken as met), DeleteObject and GetSecretValue succeed. Calls are counted per operation.
 *
 * As S3 does for objects uploaded since 2025 without a checksum of their own (a browser's POST), every
 * stored object has a CRC64NVME full-object checksum, and GetObject returns it when the request asks
 * for checksums (`x-amz-checksum-mode: ENABLED`, which the SDK sets by default): the SDK then
 * validates the body against it, as it does against S3. It is computed when the object is stored,
 * outside the measured batches.
 */
import { Readable } from 'node:stream';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

type AttributeValue = Record<string, unknown>;

/** The fake AWS: objects, a secret, and the count of every call. */
/** Stored objects, each with the CRC64NVME S3 would keep for it (base64). */
class ObjectStore extends Map<string, Uint8Array> {
  readonly checksums = new WeakMap<Uint8Array, Promise<string>>();

  override set(key: string, bytes: Uint8Array): this {
    if (this.checksums && !this.checksums.has(bytes)) {
      const crc = new Crc64Nvme();
      crc.update(bytes);
      this.checksums.set(
        bytes,
        crc.digest().then((digest) => Buffer.from(digest).toString('base64')),
      );
    }
    return super.set(key, bytes);
  }
}

export class FakeAws {
  readonly objects = new ObjectStore();
  readonly items = new Map<string, Record<string, AttributeValue>>();
  readonly counts: Record<string, number> = {};
  secretString = '';

  /** SDK clients of the services the functions use, wired to this fake; `s3` adds options to the S3 client. */
  clients(options: { s3?: Record<string, unknown> } = {}) {
    const common = {
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      requestHandler: { handle: (request: FakeRequest) => this.handle(request) },
    };
    return {
      s3: new S3Client({ ...common, forcePathStyle: true, ...options.s3 }),
      dynamodb: new DynamoDBClient(common),
      secretsManager: new SecretsManagerClient(common),
      eventBridge: new EventBridgeClient(common),
    };
  }

  /** Total calls so far, and per operation. */
  snapshot(): { total: number; byOperation: Record<string, number> } {
    const byOperation = { ...this.counts };
    return { total: Object.values(byOperation).reduce((a, b) => a + b, 0), byOperation };
  }

  resetCounts(): void {
    for (const key of Object.keys(this.counts)) delete this.counts[key];
  }

  private count(operation: string): void {
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
  }

  private async handle(request: FakeRequest) {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
    if (target) {
      const operation = target.split('.').at(-1) ?? target;
      this.count(operation);
      const input = JSON.parse(await bodyText(request.body)) as Record<string, unknown>;
      return json(this.answerJson(operation, input));
    }
    // S3, path style: /<bucket>/<key>
    const key = decodeURIComponent(request.path.split('/').slice(2).join('/'));
    if (request.method === 'GET') {
      this.count('GetObject');
      const bytes = this.objects.get(key);
      if (!bytes) return xml(404, '<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>');
      const checksumMode = request.headers['x-amz-checksum-mode'] ?? request.headers['X-Amz-Checksum-Mode'];
      const checksum = checksumMode === 'ENABLED' ? await this.objects.checksums.get(bytes) : undefined;
      return {
        response: {
          statusCode: 200,
          headers: {
            'content-length': String(bytes.length),
            'content-type': 'image/png',
            etag: '"bench"',
            ...(checksum
              ? { 'x-amz-checksum-crc64nvme': checksum, 'x-amz-checksum-type': 'FULL_OBJECT' }
              : {}),
          },
          body: Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]),
        },
      };
    }
    if (request.method === 'DELETE') {
      this.count('DeleteObject');
      return { response: { statusCode: 204, headers: {}, body: Readable.from([]) } };
    }
    this.count(`S3 ${request.method}`);
    return xml(400, '<Error><Code>NotImplemented</Code><Message>bench fake</Message></Error>');
  }

  private answerJson(operation: string, input: Record<string, unknown>): unknown {
    if (operation === 'GetSecretValue') {
      return {
        ARN: String(input.SecretId),
        Name: 'bench-token',
        SecretString: this.secretString,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      };
    }
    if (operation === 'UpdateItem') return { Attributes: this.applyUpdate(input) };
    if (operation === 'PutEvents') {
      const entries = (input.Entries ?? []) as unknown[];
      return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `bench-${i}` })) };
    }
    return {};
  }

  /** Applies the SET clauses of an update, taking each clause's first value (enough for the hot path). */
  private applyUpdate(input: Record<string, unknown>): Record<string, AttributeValue> {
    const key = input.Key as Record<string, AttributeValue>;
    const id = String((key.checkId as { S?: string }).S);
    const item = { ...(this.items.get(id) ?? {}), ...key };
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    const expression = String(input.UpdateExpression ?? '');
    const [setPart = '', removePart = ''] = expression.replace(/^SET /, '').split(' REMOVE ');
    for (const clause of setPart.split(/,\s*(?=#)/)) {
      const [lhs = '', rhs = ''] = clause.split(' = ');
      const placeholder = rhs.match(/:\w+/g)?.at(-1);
      const name = names[lhs.trim()] ?? lhs.trim();
      if (placeholder && values[placeholder]) item[name] = values[placeholder];
    }
    for (const name of removePart.split(',').map((n) => names[n.trim()] ?? n.trim())) delete item[name];
    this.items.set(id, item);
    return item;
  }
}

async function bodyText(body: unknown): Promise<string> {
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (typeof body === 'string') return body;
  return '{}';
}

function json(value: unknown) {
  const text = JSON.stringify(value);
  return {
    response: {
      statusCode: 200,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(text)),
      },
      body: Readable.from([Buffer.from(text)]),
    },
  };
}

function xml(statusCode: number, text: string) {
  return {
    response: {
      statusCode,
      headers: { 'content-type': 'application/xml' },
      body: Readable.from([Buffer.from(text)]),
    },
  };
}
