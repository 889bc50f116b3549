/**
 * A fault-injecting HTTP proxy between the functions' AWS clients and the local AWS (moto), which fails
 * nothing on its own. It answers as AWS does on a bad day, per operation class, at a set rate, and can
 * stage an outage of one service for a number of seconds. Everything else passes untouched: the
 * pollers Lambda runs itself (SQS receive/delete, DynamoDB stream reads), control-plane calls, and
 * requests without SigV4 authorization (an app's presigned POST upload, presigned URLs).
 *
 * Faults are decided before the request is forwarded, so a faulted call never reaches moto (a
 * throttled write is not applied), as AWS does for throttles and most 5xx answers. The one exception
 * is a scripted lost answer ({@link AwsFaultProxy.loseAnswers}): the call is forwarded and applied,
 * and its answer never reaches the client as sent (a 500, a reset connection, or a late answer), as
 * when AWS applies a write and the network or the service loses what it answered.
 *
 * With `recordCalls` it also writes down every call it sees, as IAM names it and with the function
 * that made it (`aws-calls.ts`), for a test to hold the functions' calls to their policies.
 */
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { mulberry32 } from '../seeded-random.js';
import { type ObservedCall, observeCall } from './aws-calls.js';
import {
  classifyRequest,
  FAULT_CLASSES,
  type FaultClass,
  type FaultKind,
  faultAnswer,
  type OutageService,
  SERVICE_OF_CLASS,
} from './aws-faults.js';

export { type ObservedCall, observeCall } from './aws-calls.js';
export {
  classifyRequest,
  FAULT_CLASSES,
  type FaultClass,
  type FaultKind,
  faultAnswer,
  OUTAGE_SERVICES,
  type OutageService,
} from './aws-faults.js';

/** Shares (0..1) of a class's calls that are throttled or answered with a server error. */
export interface FaultRates {
  /** @default 0 */
  throttle?: number;
  /** @default 0 */
  error?: number;
  /**
   * Calls forwarded and applied whose answer is then lost: the client gets the class's server error
   * (counted in `answersLost.error`, not in `injected`). @default 0
   */
  lost?: number;
}

/** Options of {@link startAwsFaultProxy}. */
export interface AwsFaultProxyOptions {
  /** Where calls go on to, e.g. moto's `http://127.0.0.1:PORT`. */
  target: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Seed of the fault PRNGs (one per class), so a run's fault sequence repeats. @default 1 */
  seed?: number;
  /**
   * Rates per class. A number is the share of every class's calls that fail, half throttled and half
   * server errors. @default no faults
   */
  rates?: number | Partial<Record<FaultClass, FaultRates>>;
  /**
   * Record every call received (faulted ones too: the function made them) for {@link AwsFaultProxy.calls}.
   * Off by default: a long-running local pipeline would keep them all. @default false
   */
  recordCalls?: boolean;
}

/**
 * How a lost answer reaches the client: the class's server error (500; an unclassified call gets
 * DynamoDB's), a reset connection, or the real answer held back `holdMs` (a client with a shorter
 * request timeout gives up first).
 */
export type LostAnswer = 'error' | 'reset' | 'late';

/** Calls whose answers are lost after they were applied: see {@link AwsFaultProxy.loseAnswers}. */
export interface LostAnswerScript {
  /** The call's `X-Amz-Target`, e.g. `DynamoDB_20120810.PutItem` or `AmazonSQS.ReceiveMessage`. */
  target: string;
  /** Only calls whose body contains this text (a key, an attribute name). @default every call of `target` */
  bodyIncludes?: string;
  /** One entry per matching call, in order; calls past the last pass untouched. */
  answers: LostAnswer[];
  /** How long a `late` answer is held. @default 1000 */
  holdMs?: number;
}

/** Injected faults and forwarded calls, counted. */
export interface FaultCounts {
  /** Faults injected, per class and kind. */
  injected: Record<FaultClass, Record<FaultKind, number>>;
  /** Calls of a fault class that were forwarded to the target. */
  forwarded: Record<FaultClass, number>;
  /** Calls outside every fault class (pollers, control plane, presigned requests), forwarded. */
  passedThrough: number;
  /** Calls forwarded (and counted above) whose answers were lost by a script, per way lost. */
  answersLost: Record<LostAnswer, number>;
}

/** A running proxy. */
export interface AwsFaultProxy {
  /** `http://127.0.0.1:PORT`: point the functions' `AWS_ENDPOINT_URL` here. */
  endpoint: string;
  /** Changes the rates from now on (same shape as the option). */
  setRates(rates: AwsFaultProxyOptions['rates']): void;
  /**
   * Loses the answers of the next calls that match `script`, one per entry of `answers`: each such
   * call is forwarded and applied, and what it answered is lost as the entry says. Scripts are
   * matched in the order they were given; rates and outages do not apply to a scripted call.
   */
  loseAnswers(script: LostAnswerScript): void;
  /** Fails every call of the service's fault class for `seconds` from now; resolves when it is over. */
  outage(service: OutageService, seconds: number): Promise<void>;
  /** What has been injected and forwarded so far. */
  counts(): FaultCounts;
  /** Total faults injected so far, per kind, across classes. */
  totals(): Record<FaultKind, number>;
  /** Every call received so far, in order, when `recordCalls` is set; otherwise none. */
  calls(): ObservedCall[];
  stop(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1. */
export async function startAwsFaultProxy(options: AwsFaultProxyOptions): Promise<AwsFaultProxy> {
  const target = new URL(options.target);
  const seed = options.seed ?? 1;
  let rates = normalizeRates(options.rates);
  const random = Object.fromEntries(
    FAULT_CLASSES.map((cls, i) => [cls, mulberry32(seed * 7919 + i)]),
  ) as Record<FaultClass, () => number>;
  const outageUntil: Partial<Record<OutageService, number>> = {};
  const counts: FaultCounts = {
    injected: Object.fromEntries(
      FAULT_CLASSES.map((cls) => [cls, { throttle: 0, error: 0, outage: 0 }]),
    ) as FaultCounts['injected'],
    forwarded: Object.fromEntries(FAULT_CLASSES.map((cls) => [cls, 0])) as FaultCounts['forwarded'],
    passedThrough: 0,
    answersLost: { error: 0, reset: 0, late: 0 },
  };
  const scripts: (LostAnswerScript & { next: number })[] = [];
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const recorded: ObservedCall[] = [];

  const decide = (cls: FaultClass): FaultKind | 'lost' | undefined => {
    const until = outageUntil[SERVICE_OF_CLASS[cls]];
    if (until !== undefined && Date.now() < until) return 'outage';
    const { throttle = 0, error = 0, lost = 0 } = rates[cls] ?? {};
    if (throttle <= 0 && error <= 0 && lost <= 0) return undefined;
    // One draw per call, so a class's sequence depends only on its own call order.
    const draw = random[cls]();
    if (draw < throttle) return 'throttle';
    if (draw < throttle + error) return 'error';
    if (draw < throttle + error + lost) return 'lost';
    return undefined;
  };

  const server = createServer((request, response) => {
    if (options.recordCalls) recorded.push(observeCall(request));
    const cls = classifyRequest(request);
    const target = headerValue(request.headers['x-amz-target']);
    if (target && scripts.some((s) => s.target === target && s.next < s.answers.length)) {
      // The body decides whether a script matches: read it first, then forward what was read.
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const script = scripts.find(
          (s) =>
            s.target === target &&
            s.next < s.answers.length &&
            (s.bodyIncludes === undefined || body.includes(s.bodyIncludes)),
        );
        const lost = script?.answers[script.next++];
        if (cls) counts.forwarded[cls] += 1;
        else counts.passedThrough += 1;
        if (lost) counts.answersLost[lost] += 1;
        forward(
          request,
          response,
          body,
          lost && script ? { how: lost, holdMs: script.holdMs ?? 1000, cls } : undefined,
        );
      });
      return;
    }
    const fault = cls ? decide(cls) : undefined;
    if (fault === 'lost') {
      if (cls) counts.forwarded[cls] += 1;
      counts.answersLost.error += 1;
      forward(request, response, undefined, { how: 'error', holdMs: 0, cls });
      return;
    }
    if (cls && fault) {
      counts.injected[cls][fault] += 1;
      const answer = faultAnswer(cls, fault);
      // Read the body to its end first, so the client never sees a reset instead of our answer.
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, {
          'content-type': answer.contentType,
          'content-length': Buffer.byteLength(answer.body),
          'x-amzn-requestid': `fault-${Date.now().toString(36)}`,
        });
        response.end(answer.body);
      });
      return;
    }
    if (cls) counts.forwarded[cls] += 1;
    else counts.passedThrough += 1;
    forward(request, response);
  });

  const forward = (
    request: IncomingMessage,
    response: ServerResponse,
    body?: Buffer,
    lost?: { how: LostAnswer; holdMs: number; cls: FaultClass | undefined },
  ) => {
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        // Unchanged, Host included: signatures and moto's generated URLs stay as the client sees them.
        headers: request.headers,
        agent,
      },
      (answer) => {
        if (lost) {
          // Let the target finish (the call is applied), then lose what it answered.
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => loseAnswer(request, response, answer, Buffer.concat(chunks), lost));
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`aws fault proxy: target unreachable (${error.message})`);
      } else {
        response.destroy(error);
      }
    });
    if (body) upstream.end(body);
    else request.pipe(upstream);
  };

  const loseAnswer = (
    request: IncomingMessage,
    response: ServerResponse,
    answer: IncomingMessage,
    answered: Buffer,
    lost: { how: LostAnswer; holdMs: number; cls: FaultClass | undefined },
  ) => {
    if (lost.how === 'reset') {
      request.socket.resetAndDestroy();
      return;
    }
    if (lost.how === 'error') {
      const error = faultAnswer(lost.cls ?? 'dynamodb-item', 'error');
      response.writeHead(error.status, {
        'content-type': error.contentType,
        'content-length': Buffer.byteLength(error.body),
        'x-amzn-requestid': `fault-${Date.now().toString(36)}`,
      });
      response.end(error.body);
      return;
    }
    // Late: the real answer, once the hold is over, to a client that may have given up by then.
    const timer = setTimeout(() => {
      if (response.destroyed) return;
      response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      response.end(answered);
    }, lost.holdMs);
    response.on('close', () => clearTimeout(timer));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRates(next) {
      rates = normalizeRates(next);
    },
    loseAnswers(script) {
      if (script.answers.length === 0) throw new Error('loseAnswers needs at least one answer to lose');
      scripts.push({ ...script, next: 0 });
    },
    async outage(service, seconds) {
      if (!(seconds > 0)) throw new Error(`an outage needs a positive number of seconds, got ${seconds}`);
      outageUntil[service] = Date.now() + seconds * 1000;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    },
    counts: () => structuredClone(counts),
    totals() {
      const totals: Record<FaultKind, number> = { throttle: 0, error: 0, outage: 0 };
      for (const cls of FAULT_CLASSES)
        for (const kind of ['throttle', 'error', 'outage'] as const)
          totals[kind] += counts.injected[cls][kind];
      return totals;
    },
    calls: () => structuredClone(recorded),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}

function normalizeRates(rates: AwsFaultProxyOptions['rates']): Partial<Record<FaultClass, FaultRates>> {
  if (rates === undefined) return {};
  if (typeof rates === 'number') {
    assertShare('rates', rates);
    return Object.fromEntries(FAULT_CLASSES.map((cls) => [cls, { throttle: rates / 2, error: rates / 2 }]));
  }
  for (const [cls, r] of Object.entries(rates)) {
    if (!(FAULT_CLASSES as readonly string[]).includes(cls))
      throw new Error(`unknown fault class "${cls}": use one of ${FAULT_CLASSES.join(', ')}`);
    assertShare(`${cls}.throttle`, r?.throttle ?? 0);
    assertShare(`${cls}.error`, r?.error ?? 0);
    assertShare(`${cls}.lost`, r?.lost ?? 0);
    assertShare(`${cls} throttle + error + lost`, (r?.throttle ?? 0) + (r?.error ?? 0) + (r?.lost ?? 0));
  }
  return { ...rates };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function assertShare(name: string, value: number): void {
  if (!(value >= 0 && value <= 1))
    throw new Error(`fault rate ${name} must be between 0 and 1, got ${value}`);
}
