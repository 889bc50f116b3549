import { Annotations, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * A default the pipeline sets for its security or its data's lifetime, with what changing it costs.
 * A pass-through prop may change it; synth then warns, one warning per field (its own id, so
 * acknowledging one override never silences another).
 */
export interface SecureDefault {
  /** What the default keeps safe, said in the warning. */
  readonly why: string;
}

/**
 * Props passed through to a resource, merged over the pipeline's defaults: a field `given` sets wins,
 * except `fixed` fields, which the caller refused already (`passThroughProblems`). Warns for every
 * `secure` default `given` changes to another value.
 */
export function passThrough<T extends object>(
  scope: Construct,
  prop: string,
  defaults: T,
  given: T | undefined,
  secure: Partial<Record<keyof T & string, SecureDefault>>,
): T {
  if (!given) return defaults;
  for (const [field, secureDefault] of Object.entries(secure) as [keyof T & string, SecureDefault][]) {
    const ours = defaults[field];
    const theirs = given[field];
    if (theirs === undefined || sameValue(ours, theirs)) continue;
    Annotations.of(scope).addWarningV2(
      `@selfie-liveness/pipeline:secureDefault:${prop}.${field}`,
      `${prop}.${field} overrides a secure default of the pipeline (${describe(ours)}, now ${describe(theirs)}): ${secureDefault.why}. Acknowledge this warning if that is what you want (docs/deploy.md#passing-props-through).`,
    );
  }
  return { ...defaults, ...given };
}

/**
 * The fields of `given` that the pipeline decides itself and that it sets to another value than
 * `defaults` has, each with how to get what was meant.
 */
export function passThroughProblems<T extends object>(
  prop: string,
  defaults: Partial<T>,
  given: T | undefined,
  fixed: Partial<Record<keyof T & string, string>>,
): string[] {
  if (!given) return [];
  return (Object.entries(fixed) as [keyof T & string, string][])
    .filter(([field]) => given[field] !== undefined && !sameValue(defaults[field], given[field]))
    .map(([field, advice]) => `${prop}.${field} cannot be passed through: ${advice}`);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // An unset flag is off (`versioned`, `objectLockEnabled`, `autoDeleteObjects` all default to false).
  if ((a === undefined && b === false) || (a === false && b === undefined)) return true;
  // A key or a bucket is the same only as the same construct; a value object (BlockPublicAccess) by its fields.
  if (Construct.isConstruct(a) || Construct.isConstruct(b)) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false; // holds a construct (a dead-letter queue): only the same object is the same
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'unset';
  if (Construct.isConstruct(value)) return value.node.path;
  if (typeof value === 'string' && Token.isUnresolved(value)) return 'a token';
  try {
    return JSON.stringify(value);
  } catch {
    return 'an object';
  }
}
