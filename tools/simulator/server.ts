/**
 * The Apptenticate simulator: a real HTTP server on 127.0.0.1 that plays the vendor API as
 * documented in /work/shared/apptenticate-api.md, with SimpleJWT-style auth (real HS256 JWTs with
 * `exp`), real multipart parsing, deterministic liveness verdicts from the image bytes, and a
 * control interface (in-process and over HTTP under `/__control/`) to script faults and variants.
 *
 * Deterministic verdicts: a missing selfie gives 400 field errors; bytes that are neither PNG nor
 * JPEG give 708; an image smaller than `minDimension` on either side (or whose size cannot be read)
 * gives 706 / 708; anything else passes with scores derived from a SHA-256 of the bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { REJECTION_CODES } from '../../shared/apptenticate/codes.js';
import { mulberry32 } from '../seeded-random.js';
import { handleControl } from './control-routes.js';
import {
  bodyReply,
  defaultStatus,
  FALSE_VALUES,
  type Form,
  isTrue,
  parseForm,
  type Reply,
  readBody,
  requireFields,
  send,
  TRUE_VALUES,
  unsupported,
} from './http.js';
import { inspectImage } from './inspect-image.js';
import { JwtSigner } from './jwt.js';
import type {
  LivenessCallCounts,
  LivenessRequestRecord,
  ScriptedAnswer,
  Simulator,
  SimulatorControl,
  SimulatorEndpoint,
  SimulatorOptions,
  SimulatorVariants,
} from './types.js';

// Callers import the simulator's types from here, with `startSimulator`.
export type * from './types.js';

const ROUTES: Record<string, SimulatorEndpoint> = {
  '/api/token/': 'login',
  '/api/token/refresh/': 'refresh',
  '/api/v3/biometrics/liveness/': 'liveness',
};

const DEFAULT_VARIANTS: SimulatorVariants = {
  rejectionStatus: 200,
  idType: 'number',
  includeDetailsOnRejection: false,
  includeIdOnRejection: false,
  faultRate: 0,
  faultSeed: 1,
  faultDelayMs: 1500,
  faultEndpoints: ['liveness'],
  latencyMs: 0,
  minDimension: 100,
  maxImageBytes: 2 * 1024 * 1024,
};

const DEVICES = new Set(['DESKTOP', 'IOS', 'ANDROID']);

/** Starts the simulator on 127.0.0.1. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const username = options.username ?? 'simulator-user';
  const initialPassword = options.password ?? 'simulator-password';
  let password = initialPassword;
  const accessTtl = options.accessTtlSeconds ?? 300;
  const refreshTtl = options.refreshTtlSeconds ?? 86_400;
  const now = options.now ?? Date.now;
  const initialVariants: SimulatorVariants = { ...DEFAULT_VARIANTS };
  for (const key of Object.keys(DEFAULT_VARIANTS) as (keyof SimulatorVariants)[]) {
    if (options[key] !== undefined) Object.assign(initialVariants, { [key]: options[key] });
  }

  const signer = new JwtSigner();
  const timers = new Set<NodeJS.Timeout>();
  let variants = { ...initialVariants };
  let script: (ScriptedAnswer & { remaining: number })[] = [];
  let counts = zeroCounts();
  let randomFaults = zeroCounts();
  let abandoned = zeroCounts();
  let livenessByCheck = new Map<string, LivenessCallCounts>();
  // An ordinary liveness answer written in full, until its connection carries another request.
  const unconfirmed = new WeakMap<Socket, LivenessCallCounts | undefined>();
  let lastLiveness: LivenessRequestRecord | undefined;
  let nextId = 1000;
  let accessGeneration = 0;
  let refreshGeneration = 0;
  let random = mulberry32(variants.faultSeed);

  const control: SimulatorControl = {
    script(...answers) {
      for (const answer of answers) script.push({ ...answer, remaining: Math.max(1, answer.times ?? 1) });
    },
    configure(changes) {
      variants = { ...variants, ...changes };
      if (changes.faultSeed !== undefined) random = mulberry32(changes.faultSeed);
      return { ...variants };
    },
    revokeRefreshTokens() {
      refreshGeneration += 1;
    },
    expireAccessTokens() {
      accessGeneration += 1;
    },
    changePassword(next) {
      password = next;
    },
    state() {
      return {
        counts: { ...counts },
        randomFaults: { ...randomFaults },
        abandoned: { ...abandoned },
        livenessByCheck: Object.fromEntries(
          [...livenessByCheck].map(([checkId, calls]) => [checkId, { ...calls }]),
        ),
        ...(lastLiveness ? { lastLiveness: { ...lastLiveness } } : {}),
        pendingAnswers: script.reduce((sum, answer) => sum + answer.remaining, 0),
        variants: { ...variants },
      };
    },
    reset() {
      script = [];
      counts = zeroCounts();
      randomFaults = zeroCounts();
      abandoned = zeroCounts();
      livenessByCheck = new Map();
      lastLiveness = undefined;
      variants = { ...initialVariants };
      random = mulberry32(variants.faultSeed);
      password = initialPassword;
    },
  };

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const issue = (type: 'access' | 'refresh') => {
    const iat = Math.floor(now() / 1000);
    const ttl = type === 'access' ? accessTtl : refreshTtl;
    const gen = type === 'access' ? accessGeneration : refreshGeneration;
    return signer.sign({ token_type: type, iat, exp: iat + ttl, user_id: 1, gen });
  };

  const tokenValid = (token: string | undefined, type: 'access' | 'refresh') => {
    if (!token) return false;
    const claims = signer.verify(token);
    if (!claims || claims.token_type !== type) return false;
    if (claims.exp <= Math.floor(now() / 1000)) return false;
    return claims.gen === (type === 'access' ? accessGeneration : refreshGeneration);
  };

  const takeScripted = (endpoint: SimulatorEndpoint): ScriptedAnswer | undefined => {
    const index = script.findIndex((answer) => answer.endpoint === undefined || answer.endpoint === endpoint);
    if (index < 0) return undefined;
    const answer = script[index] as ScriptedAnswer & { remaining: number };
    answer.remaining -= 1;
    if (answer.remaining <= 0) script.splice(index, 1);
    return answer;
  };

  const randomFault = (endpoint: SimulatorEndpoint): ScriptedAnswer | undefined => {
    if (variants.faultRate <= 0 || !variants.faultEndpoints.includes(endpoint)) return undefined;
    if (random() >= variants.faultRate) return undefined;
    randomFaults[endpoint] += 1;
    const pick = Math.floor(random() * 4);
    if (pick === 0) return { type: 'status', status: 500 };
    if (pick === 1) return { type: 'status', status: 429 };
    if (pick === 2) return { type: 'slow', delayMs: variants.faultDelayMs };
    return { type: 'drop' };
  };

  const login = (form: Form): Reply => {
    const errors = requireFields(form, ['username', 'password']);
    if (errors) return { status: 400, body: errors };
    if (form.get('username') !== username || form.get('password') !== password) {
      return { status: 401, body: { detail: 'No active account found with the given credentials' } };
    }
    return { status: 200, body: { refresh: issue('refresh'), access: issue('access') } };
  };

  const refresh = (form: Form): Reply => {
    const errors = requireFields(form, ['refresh']);
    if (errors) return { status: 400, body: errors };
    const token = form.get('refresh');
    if (typeof token !== 'string' || !tokenValid(token, 'refresh')) {
      return { status: 401, body: { detail: 'Token is invalid or expired', code: 'token_not_valid' } };
    }
    return { status: 200, body: { access: issue('access') } };
  };

  const transactionId = () => (variants.idType === 'string' ? randomUUID() : nextId++);

  const rejection = (form: Form, code: number, message?: string, status?: number): Reply => {
    const known = REJECTION_CODES[code as keyof typeof REJECTION_CODES];
    const data: Record<string, unknown> = {
      valid: false,
      message: message ?? known?.message ?? 'Error desconocido',
      error_code: code,
    };
    if (variants.includeDetailsOnRejection && isTrue(form.get('details'))) {
      data.api_response = { score: -1.25, quality: 0.31, liveness: 0.22 };
    }
    if (variants.includeIdOnRejection && isTrue(form.get('return_id'))) data.id = transactionId();
    return { status: status ?? variants.rejectionStatus, body: { data } };
  };

  const liveness = (req: IncomingMessage, form: Form | undefined): Reply => {
    const authorization = req.headers.authorization ?? '';
    if (!authorization.startsWith('Bearer ')) {
      return { status: 401, body: { detail: 'Authentication credentials were not provided.' } };
    }
    if (!tokenValid(authorization.slice('Bearer '.length), 'access')) {
      return {
        status: 401,
        body: {
          detail: 'Given token not valid for any token type',
          code: 'token_not_valid',
          messages: [
            { token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' },
          ],
        },
      };
    }
    if (!form) {
      return {
        status: 415,
        body: { detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` },
      };
    }
    const selfie = form.get('selfie');
    if (selfie === undefined) return { status: 400, body: { selfie: ['No file was submitted.'] } };
    if (typeof selfie === 'string') {
      return {
        status: 400,
        body: { selfie: ['The submitted data was not a file. Check the encoding type on the form.'] },
      };
    }
    if (selfie.size === 0) return { status: 400, body: { selfie: ['The submitted file is empty.'] } };
    if (selfie.size > variants.maxImageBytes) {
      return { status: 400, body: { selfie: ['File too large. Size should not exceed 2 MB.'] } };
    }
    const fieldErrors: Record<string, string[]> = {};
    const device = form.get('device');
    if (device !== undefined && (typeof device !== 'string' || !DEVICES.has(device))) {
      fieldErrors.device = [`"${String(device)}" is not a valid choice.`];
    }
    for (const name of ['return_id', 'details']) {
      const value = form.get(name);
      if (
        value !== undefined &&
        (typeof value !== 'string' || !(TRUE_VALUES.has(value) || FALSE_VALUES.has(value)))
      ) {
        fieldErrors[name] = ['Must be a valid boolean.'];
      }
    }
    if (Object.keys(fieldErrors).length > 0) return { status: 400, body: fieldErrors };
    return { status: 200, body: null };
  };

  const livenessVerdict = (form: Form, bytes: Uint8Array, forcePass: boolean): Reply => {
    if (!forcePass) {
      const info = inspectImage(bytes);
      if (info.format === 'unknown' || info.width === undefined) return rejection(form, 708);
      if (info.width < variants.minDimension || info.height < variants.minDimension) {
        return rejection(form, 706, 'Rostro muy reducido en pixeles');
      }
    }
    const digest = createHash('sha256').update(bytes).digest();
    const data: Record<string, unknown> = { valid: true };
    if (isTrue(form.get('details'))) {
      data.api_response = {
        score: round(((digest[0] ?? 0) / 255) * 4 + 0.5),
        quality: round(0.55 + ((digest[1] ?? 0) / 255) * 0.44),
        liveness: round(0.55 + ((digest[2] ?? 0) / 255) * 0.44),
      };
    }
    if (isTrue(form.get('return_id'))) data.id = transactionId();
    return { status: 200, body: { data } };
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: SimulatorEndpoint,
  ): Promise<void> => {
    const raw = await readBody(req);
    counts[endpoint] += 1;
    const form = await parseForm(req.headers['content-type'], raw);
    let selfieBytes: Uint8Array | undefined;
    let check: LivenessCallCounts | undefined;
    let notify: ((phase: 'received' | 'answered') => void) | undefined;
    if (endpoint === 'liveness') {
      const selfie = form?.get('selfie');
      if (selfie !== undefined && typeof selfie !== 'string') {
        selfieBytes = new Uint8Array(await selfie.arrayBuffer());
        const checkId = selfie.name.replace(/\.(jpe?g|png)$/i, '');
        check = livenessCalls(checkId);
        check.paid += 1;
        notify = (phase) => options.onLivenessCall?.({ checkId, phase });
        notify('received');
      }
      lastLiveness = recordLiveness(req, form, selfie);
    }

    const scripted = takeScripted(endpoint);
    let answer = scripted ?? randomFault(endpoint);
    if (check && answer && !scripted) check.randomFaults += 1;
    if (answer === undefined) {
      const socket = req.socket;
      const answered = notify;
      if (answered) res.once('finish', () => answered('answered'));
      res.once('close', () => {
        if (!res.writableFinished) {
          abandoned[endpoint] += 1;
          if (check) check.abandoned += 1;
        } else if (endpoint === 'liveness') {
          unconfirmed.set(socket, check);
        }
      });
    }
    if (variants.latencyMs > 0) await delay(variants.latencyMs);
    if (answer?.type === 'slow') {
      await delay(answer.delayMs);
      answer = undefined;
    }
    if (answer?.type === 'drop') {
      req.socket.destroy();
      return;
    }
    if (answer?.type === 'non-json') {
      return send(res, {
        status: 200,
        contentType: 'text/html; charset=utf-8',
        text: '<html><body><h1>Service temporarily rerouted</h1></body></html>',
      });
    }
    if (answer?.type === 'status') {
      return send(
        res,
        answer.body !== undefined ? bodyReply(answer.status, answer.body) : defaultStatus(answer.status),
      );
    }
    if (answer?.type === 'rejection') {
      return send(res, rejection(form ?? new Map(), answer.code, answer.message, answer.status));
    }

    if (endpoint === 'login') return send(res, form ? login(form) : unsupported(req));
    if (endpoint === 'refresh') return send(res, form ? refresh(form) : unsupported(req));
    const checked = liveness(req, form);
    if (checked.status !== 200 || !form) return send(res, checked);
    return send(res, livenessVerdict(form, selfieBytes ?? new Uint8Array(), answer?.type === 'passed'));
  };

  const livenessCalls = (checkId: string): LivenessCallCounts => {
    let calls = livenessByCheck.get(checkId);
    if (!calls) {
      calls = { paid: 0, randomFaults: 0, abandoned: 0 };
      livenessByCheck.set(checkId, calls);
    }
    return calls;
  };

  const server = createServer((req, res) => {
    // A client sends its next request on a connection only once it has read the answer before.
    unconfirmed.delete(req.socket);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const work = async () => {
      if (path.startsWith('/__control/')) return await handleControl(req, res, path, control);
      const endpoint = ROUTES[path];
      if (!endpoint) return send(res, { status: 404, body: { detail: 'Not found.' } });
      if (req.method !== 'POST') {
        return send(res, { status: 405, body: { detail: `Method "${req.method}" not allowed.` } });
      }
      return await handleApi(req, res, endpoint);
    };
    work().catch(() => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, body: { detail: 'simulator error' } });
    });
  });

  server.on('connection', (socket: Socket) => {
    // A client that closes its connection with data unread in it resets it (TCP RST): the last
    // answer was written in full and paid, but never read.
    socket.once('close', (hadError) => {
      if (!hadError || !unconfirmed.has(socket)) return;
      const check = unconfirmed.get(socket);
      unconfirmed.delete(socket);
      abandoned.liveness += 1;
      if (check) check.abandoned += 1;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    username,
    get password() {
      return password;
    },
    control,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function zeroCounts(): Record<SimulatorEndpoint, number> {
  return { login: 0, refresh: 0, liveness: 0 };
}

function recordLiveness(
  req: IncomingMessage,
  form: Form | undefined,
  selfie: string | File | undefined,
): LivenessRequestRecord {
  const authorization = req.headers.authorization;
  const field = (name: string) => {
    const value = form?.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const record: LivenessRequestRecord = {
    authorization: !authorization ? 'none' : authorization.startsWith('Bearer ') ? 'bearer' : 'other',
    fields: form ? [...form.keys()] : [],
  };
  const contentType = req.headers['content-type'];
  if (contentType) record.contentType = contentType.split(';')[0] ?? contentType;
  const device = field('device');
  if (device !== undefined) record.device = device;
  const returnId = field('return_id');
  if (returnId !== undefined) record.returnId = returnId;
  const details = field('details');
  if (details !== undefined) record.details = details;
  if (selfie !== undefined && typeof selfie !== 'string') {
    record.selfieSize = selfie.size;
    record.selfieFileName = selfie.name;
    record.selfieContentType = selfie.type;
  }
  return record;
}

function round(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}
