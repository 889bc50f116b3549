/**
 * The test tools of CommonJS consumer apps, for the package tests (test/package): Jest, its
 * TypeScript transform and, for the older app, TypeScript 5.6. Each toolchain is a folder under
 * tools/package/toolchains/ with a package.json and its package-lock.json (exact versions and
 * integrity hashes), installed with `npm ci` into a cache in the system temp folder keyed by a hash
 * of the lockfile, on first use; later runs take the cache, offline.
 *
 * Not devDependencies of the project: ts-jest loads the compiler by `require('typescript')` from
 * where it is installed, and the project's TypeScript 7 has no compiler API to load; the two apps
 * need two Jest majors (29 and 30); and @swc/core ships a native binary per platform.
 *
 * `node --import tsx tools/package/consumer-toolchains.ts` installs them up front (CI can, so a
 * registry failure reads as one) and prints where.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOLCHAINS = fileURLToPath(new URL('./toolchains/', import.meta.url));

/**
 * - `cdk-init-swc`: what `cdk init app --language typescript` (aws-cdk 2.1148) puts in an app
 *   today: Jest 30 with @swc/jest (TypeScript 7 and tsx come from the project).
 * - `cdk-init-ts-jest`: what it put there before (most existing CDK apps): Jest 29, ts-jest 29,
 *   TypeScript 5.6.
 */
export type ConsumerToolchain = 'cdk-init-swc' | 'cdk-init-ts-jest';

export const CONSUMER_TOOLCHAINS: readonly ConsumerToolchain[] = ['cdk-init-swc', 'cdk-init-ts-jest'];

/** A marker written last: a cache folder without it is an install that did not finish. */
const DONE = '.installed';

function lockfileHash(name: ConsumerToolchain): string {
  return createHash('sha256')
    .update(readFileSync(join(TOOLCHAINS, name, 'package-lock.json')))
    .digest('hex')
    .slice(0, 12);
}

/** The cache folder of a toolchain, one per lockfile. */
export function toolchainCacheDir(name: ConsumerToolchain): string {
  return join(tmpdir(), `selfie-liveness-toolchain-${name}-${lockfileHash(name)}`);
}

const installing = new Map<ConsumerToolchain, Promise<string>>();

/**
 * The `node_modules` folder of an installed toolchain, installing it first when the cache is
 * missing (each ~14 s and 65 MB here, from the registry or npm's cache). Safe to call from several processes at once: each
 * installs into a folder of its own and renames it into place.
 */
export function ensureToolchain(name: ConsumerToolchain): Promise<string> {
  let pending = installing.get(name);
  if (!pending) {
    pending = locateOrInstall(name);
    installing.set(name, pending);
  }
  return pending;
}

async function locateOrInstall(name: ConsumerToolchain): Promise<string> {
  const cache = toolchainCacheDir(name);
  if (existsSync(join(cache, DONE))) return join(cache, 'node_modules');
  const partial = await mkdtemp(`${cache}.partial-`);
  try {
    for (const file of ['package.json', 'package-lock.json']) {
      await cp(join(TOOLCHAINS, name, file), join(partial, file));
    }
    try {
      await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: partial,
        timeout: 300_000,
      });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(
        `could not install the ${name} toolchain (npm ci in a copy of tools/package/toolchains/${name}): ${stderr?.trim().split('\n').at(-1) ?? (error as Error).message}`,
        { cause: error },
      );
    }
    await writeFile(join(partial, DONE), `${new Date().toISOString()}\n`);
    if (!existsSync(join(cache, DONE))) {
      await rm(cache, { recursive: true, force: true });
      await rename(partial, cache).catch((error: NodeJS.ErrnoException) => {
        if (!existsSync(join(cache, DONE))) throw error;
      });
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return join(cache, 'node_modules');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const name of CONSUMER_TOOLCHAINS) {
    const started = performance.now();
    const modules = await ensureToolchain(name);
    console.log(`${name}: ${modules} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
