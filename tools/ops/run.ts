/** `npm run ops -- <command>`: the commands, their help, and one run of one command. */
import type { Clock } from '../../shared/clock.js';
import { checkFlags, parseArgs } from './args.js';
import { resolveTarget } from './clients.js';
import type { OpsCommand, OpsContext } from './context.js';
import { dlqCommand } from './dlq.js';
import { createOutput } from './output.js';
import { republishCommand } from './republish.js';
import { rotateCredentialsCommand } from './rotate-credentials.js';
import { checkCommand } from './show-check.js';
import { statusCommand } from './status.js';
import { flagOf, OUTPUT_KEYS, type PipelineName } from './target.js';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly OpsCommand[] = [
  statusCommand,
  checkCommand,
  republishCommand,
  dlqCommand,
  rotateCredentialsCommand,
];

/** The options that choose the pipeline, accepted by every command. */
const TARGET_FLAGS = [
  'stack',
  'resources',
  'region',
  ...(Object.keys(OUTPUT_KEYS) as PipelineName[]).map((n) => flagOf(n).slice(2)),
];

/** What a run reads and writes: lines out, the environment, the time, standard input. */
export interface OpsIo {
  write(line: string): void;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  readStdin(): Promise<string>;
  /** Where `.local/resources.json` is looked for. @default the process's working folder */
  cwd?: string;
}

/** Runs one command line; resolves to the exit code (0 done, 1 failed, 2 needs an explicit flag or a later run). */
export async function runOps(argv: readonly string[], io: OpsIo): Promise<number> {
  const out = createOutput(io.write);
  let name = 'ops';
  try {
    const { positional, flags } = parseArgs(argv);
    const [commandName, ...args] = positional;
    const command = COMMANDS.find((c) => c.name === commandName);
    if (!command || flags.help) {
      printHelp(out.line, command);
      return command || commandName === 'help' || commandName === undefined ? 0 : 1;
    }
    name = command.name;
    checkFlags(flags, [...TARGET_FLAGS, ...command.flags]);
    const { target, clients } = await resolveTarget({
      flags,
      env: io.env,
      needed: command.needs(args),
      ...(io.cwd ? { cwd: io.cwd } : {}),
    });
    if (target.notice) out.line(`ops: ${target.notice}`);
    const ctx: OpsContext = {
      target,
      clients,
      out,
      clock: io.clock,
      args,
      flags,
      env: io.env,
      readStdin: io.readStdin,
    };
    return await command.run(ctx);
  } catch (error) {
    out.line(`ops ${name}: ${(error as Error).message}`);
    return 1;
  }
}

function printHelp(line: (text?: string) => void, command?: OpsCommand): void {
  if (command) {
    line(`npm run ops -- ${command.usage}`);
    line();
    for (const text of command.help.split('\n')) line(text);
    return;
  }
  line('npm run ops -- <command> [options]: operate a deployed pipeline or npm start');
  line();
  for (const c of COMMANDS) line(`  ${c.usage}`);
  line();
  line('Which pipeline: --stack <name> (its CloudFormation outputs, default SelfieLiveness; AWS credentials');
  line('and region from the default chain, or --region), or --resources <file> (what npm start writes).');
  line('With none of --stack, --region and --resources, the npm start running here (its');
  line('.local/resources.json; or that file whenever AWS_ENDPOINT_URL is set), else the default stack.');
  line('A flag per resource (e.g. --check-table-name) overrides that name. Nothing is changed without');
  line('--dry-run=false or --yes; no secret, token or presigned URL is printed. npm run ops -- <command>');
  line('--help for more.');
}
