import { ConfigError } from './errors.js';

/** The environment as a plain record, so config readers can be tested without touching `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a required, non-empty string. */
function requireString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required but not set`);
  return value;
}

/** Reads an optional string with a default. */
function optionalString(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

/** Reads an optional integer within bounds, with a default. */
function optionalInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Reads an optional boolean (`true`/`false`) with a default. */
function optionalBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
}

/** Reads an optional choice among upper-case `values` (given in any case) with a default. */
function optionalChoice(env: Env, name: string, fallback: string, values: readonly string[]): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = raw.toUpperCase();
  if (!values.includes(value)) {
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  }
  return value;
}

/** Reads an optional http(s) URL with a default; strips a trailing slash. */
function optionalUrl(env: Env, name: string, fallback: string): string {
  const raw = optionalString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (!isSecureOrLoopback(url)) {
    throw new ConfigError(`${name} ${PLAIN_HTTP_PROBLEM}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** How a URL with plain http to another host is refused, after the setting's name. */
export const PLAIN_HTTP_PROBLEM = 'must use https (plain http only to 127.0.0.1, localhost or [::1])';

/**
 * Whether a parsed URL may carry credentials, tokens and selfies: https anywhere, plain http only to
 * this machine (the local simulator), where nothing crosses a network.
 */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/** The unit of a numeric setting, as the documentation tables show it. */
export type EnvUnit = 'bytes' | 'count' | 'days' | 'ms' | 'px' | 'seconds';

/**
 * One environment variable of a function: its type, default (or that it is required), range, unit
 * and one line of documentation. Plain data: the function's config reader, the stack's environment
 * and the documentation tables are all derived from it.
 */
export type EnvVarSpec =
  | { readonly type: 'string'; readonly required: true; readonly doc: string }
  | { readonly type: 'string'; readonly required: false; readonly doc: string }
  | { readonly type: 'string'; readonly default: string; readonly doc: string }
  | { readonly type: 'url'; readonly default: string; readonly doc: string }
  | { readonly type: 'bool'; readonly default: boolean; readonly doc: string }
  | {
      readonly type: 'enum';
      readonly default: string;
      /** The accepted values, upper case; the environment may give them in any case. */
      readonly values: readonly string[];
      readonly doc: string;
    }
  | {
      readonly type: 'int';
      readonly default: number;
      readonly min: number;
      readonly max: number;
      readonly unit: EnvUnit;
      readonly doc: string;
    };

/** A function's whole environment: variable name to its declaration. */
export type EnvDeclaration = Readonly<Record<string, EnvVarSpec>>;

/** The value type a declaration reads to. */
export type EnvValue<S extends EnvVarSpec> = S extends { type: 'int' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { required: false }
      ? string | undefined
      : string;

/** The values of a declared environment, keyed by variable name. */
export type EnvValues<D extends EnvDeclaration> = { readonly [K in keyof D]: EnvValue<D[K]> };

/**
 * Reads and validates every variable of a declaration; throws a `ConfigError` naming the first bad
 * variable. An optional string without default that is unset or blank reads as `undefined`.
 */
export function readEnv<D extends EnvDeclaration>(env: Env, declaration: D): EnvValues<D> {
  const values: Record<string, string | number | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(declaration)) {
    values[name] = readEnvVar(env, name, spec);
  }
  return values as EnvValues<D>;
}

function readEnvVar(env: Env, name: string, spec: EnvVarSpec): string | number | boolean | undefined {
  switch (spec.type) {
    case 'int':
      return optionalInt(env, name, spec.default, spec.min, spec.max);
    case 'bool':
      return optionalBool(env, name, spec.default);
    case 'url':
      return optionalUrl(env, name, spec.default);
    case 'enum':
      return optionalChoice(env, name, spec.default, spec.values);
    case 'string':
      if ('default' in spec) return optionalString(env, name, spec.default);
      if (spec.required) return requireString(env, name);
      return env[name]?.trim() || undefined;
  }
}
