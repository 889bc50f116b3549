/** The simulator's public types: endpoints, scripted answers, variants, options, state and control. */

/** The vendor endpoints the simulator serves. */
export type SimulatorEndpoint = 'login' | 'refresh' | 'liveness';

/** One scripted answer; `endpoint` scopes it (default: the next call to any endpoint). */
export type ScriptedAnswer = (
  | { type: 'rejection'; code: number; message?: string; status?: number }
  | { type: 'status'; status: number; body?: unknown }
  | { type: 'slow'; delayMs: number }
  | { type: 'drop' }
  | { type: 'non-json' }
  | { type: 'passed' }
) & { endpoint?: SimulatorEndpoint; times?: number };

/** Answer variants the vendor does not document, and load-test faults. */
export interface SimulatorVariants {
  /** HTTP status of a `valid: false` answer. @default 200 */
  rejectionStatus: 200 | 400 | 422;
  /** `id` as an incrementing number or a UUID string. @default 'number' */
  idType: 'number' | 'string';
  /** Include `api_response` with a rejection when `details` was asked. @default false */
  includeDetailsOnRejection: boolean;
  /** Include `id` with a rejection when `return_id` was asked. @default false */
  includeIdOnRejection: boolean;
  /** Share of unscripted calls answered with a random fault (500, 429, slow, drop). @default 0 */
  faultRate: number;
  /** Seed of the fault PRNG. @default 1 */
  faultSeed: number;
  /** Delay of a random "slow" fault. @default 1500 */
  faultDelayMs: number;
  /** Endpoints random faults apply to. @default ['liveness'] */
  faultEndpoints: SimulatorEndpoint[];
  /** Added to every API answer. @default 0 */
  latencyMs: number;
  /** Smaller images (either side) are rejected with 706. @default 100 */
  minDimension: number;
  /** Larger selfies get a 400 field error. @default 2 MiB */
  maxImageBytes: number;
}

/** Options of {@link startSimulator}. */
export interface SimulatorOptions extends Partial<SimulatorVariants> {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default 300 */
  accessTtlSeconds?: number;
  /** @default 86400 */
  refreshTtlSeconds?: number;
  /** @default 'simulator-user' */
  username?: string;
  /** @default 'simulator-password' */
  password?: string;
  /** Clock for token expiry, epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Told of each liveness call of a check as it happens: `received` when the call is counted (paid),
   * `answered` once an ordinary answer (no fault) was handed to the connection in full. A harness
   * uses it to act at a chosen point, e.g. kill the checker's container between the vendor's answer
   * and the verdict write. Called synchronously; it must not throw. @default none
   */
  onLivenessCall?: (call: LivenessCallNotice) => void;
}

/** One liveness call of a check, as {@link SimulatorOptions.onLivenessCall} reports it. */
export interface LivenessCallNotice {
  /** The selfie's file name without its extension (the checker sends `<checkId>.jpg|png`). */
  checkId: string;
  phase: 'received' | 'answered';
}

/** What the simulator recorded about the last liveness request (never the image bytes). */
export interface LivenessRequestRecord {
  contentType?: string;
  authorization: 'none' | 'bearer' | 'other';
  device?: string;
  returnId?: string;
  details?: string;
  selfieSize?: number;
  selfieFileName?: string;
  selfieContentType?: string;
  fields: string[];
}

/** One check's liveness calls, as `SimulatorState` counts them for every check. */
export interface LivenessCallCounts {
  /** Calls received, each one paid. */
  paid: number;
  /** Of those, the calls answered with a random fault. */
  randomFaults: number;
  /** Of those, the ordinary answers its client never read (`SimulatorState.abandoned`). */
  abandoned: number;
}

/** A snapshot of the simulator's state. */
export interface SimulatorState {
  counts: Record<SimulatorEndpoint, number>;
  /** Calls answered with a random fault (`faultRate`): each is paid, and none carries a verdict. */
  randomFaults: Record<SimulatorEndpoint, number>;
  /**
   * Ordinary answers (no fault) whose client went away before the answer was complete, or closed
   * its connection with the answer unread in it: it gave up waiting (its own timeout) and never read
   * the answer, though the call was made and paid.
   */
  abandoned: Record<SimulatorEndpoint, number>;
  /**
   * Liveness calls per check, keyed by the selfie's file name without its extension (the checker
   * names it `<checkId>.jpg|png`), so a suite tells one check paid twice from an abandoned answer.
   */
  livenessByCheck: Record<string, LivenessCallCounts>;
  lastLiveness?: LivenessRequestRecord;
  pendingAnswers: number;
  variants: SimulatorVariants;
}

/** The control interface tests use in-process (the same operations exist over HTTP). */
export interface SimulatorControl {
  /** Queues answers; each is used by the next matching call (`times` calls, default 1). */
  script(...answers: ScriptedAnswer[]): void;
  /** Changes answer variants and faults. */
  configure(variants: Partial<SimulatorVariants>): SimulatorVariants;
  /** Refuses every refresh token issued so far. */
  revokeRefreshTokens(): void;
  /** Refuses every access token issued so far. */
  expireAccessTokens(): void;
  /** Expects this password at login from now on (an operator changing it with the vendor). */
  changePassword(password: string): void;
  state(): SimulatorState;
  /** Forgets scripts, counts and records; restores the start-up variants and password. Tokens stay valid. */
  reset(): void;
}

/** A running simulator. */
export interface Simulator {
  baseUrl: string;
  username: string;
  /** The password the simulator expects now. */
  readonly password: string;
  control: SimulatorControl;
  stop(): Promise<void>;
}
