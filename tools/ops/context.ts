/** What every ops command gets, and how a command declares itself. */
import type { Clock } from '../../shared/clock.js';
import type { OpsClients } from './clients.js';
import type { Output } from './output.js';
import type { PipelineName, Target } from './target.js';

/** A command's world: the pipeline, clients for it, where to print, the time, the command line. */
export interface OpsContext {
  target: Target;
  clients: OpsClients;
  out: Output;
  clock: Clock;
  /** The words after the command's name. */
  args: readonly string[];
  flags: Readonly<Record<string, string | boolean>>;
  env: NodeJS.ProcessEnv;
  /** Reads standard input to its end (a password given with `--password-stdin`). */
  readStdin: () => Promise<string>;
}

/** One command of `npm run ops`. */
export interface OpsCommand {
  name: string;
  /** One line: how to call it. */
  usage: string;
  /** What it does, in a few lines. */
  help: string;
  /** The options it accepts, besides those choosing the target. */
  flags: readonly string[];
  /** The resource names it needs, given its arguments. */
  needs(args: readonly string[]): readonly PipelineName[];
  /** Runs it; resolves to the process exit code. */
  run(ctx: OpsContext): Promise<number>;
}
