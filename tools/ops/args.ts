/** The command line of `npm run ops`: positional words, `--flag value`, `--flag=value` and bare switches. */

/** Parsed arguments. */
export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
}

/** Flags that take no value (`--yes`); `--dry-run` too, which takes one only as `--dry-run=false`. */
const SWITCHES = new Set(['yes', 'password-stdin', 'no-wait', 'keep-password', 'list', 'help', 'dry-run']);

/** Parses argv (without `node` and the script); throws on a flag that needs a value and has none. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (eq !== -1) {
      flags[name] = arg.slice(eq + 1);
    } else if (SWITCHES.has(name)) {
      flags[name] = true;
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
      flags[name] = value;
      i++;
    }
  }
  return { positional, flags };
}

/** Refuses flags a command does not know (a typo would otherwise be ignored). */
export function checkFlags(flags: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  const unknown = Object.keys(flags).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown option ${unknown.map((n) => `--${n}`).join(', ')} (npm run ops -- help)`);
  }
}

/** Whether a switch is on: `--x`, `--x=true`; off: absent, `--x=false`. */
export function isOn(
  flags: Readonly<Record<string, string | boolean>>,
  name: string,
  fallback: boolean,
): boolean {
  const value = flags[name];
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`--${name} takes true or false, got "${String(value)}"`);
}

/** An optional positive number flag. */
export function numberFlag(
  flags: Readonly<Record<string, string | boolean>>,
  name: string,
  fallback: number,
  max: number,
): number {
  const value = flags[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !(n > 0) || n > max) {
    throw new Error(`--${name} must be a number above 0 and at most ${max}, got "${String(value)}"`);
  }
  return n;
}

/**
 * A point in time: ISO 8601 (`2026-11-30T10:00:00Z`), or how long ago (`90s`, `30m`, `2h`, `7d`).
 */
export function parseTime(text: string, now: Date, flag: string): Date {
  const relative = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const time = Date.parse(text);
  if (Number.isNaN(time) || !/\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new Error(
      `--${flag} must be an ISO 8601 time (2026-11-30T10:00:00Z) or an age (30m, 2h, 7d), got "${text}"`,
    );
  }
  return new Date(time);
}
