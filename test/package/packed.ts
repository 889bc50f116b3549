/**
 * Helpers of the package tests: the tarball as `npm pack` makes it, installed into throwaway apps
 * in the system temp folder, outside the repository.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
};

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  timeout = 240_000,
): Run {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function expectSuccess(step: string, result: Run): Run {
  if (result.status !== 0)
    throw new Error(`${step} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

// `npm pack` rebuilds dist/ (prepack), which starts by removing it: two test files packing at once
// would pack each other's half-built folder. A lock folder serializes them across processes.
const PACK_LOCK = join(tmpdir(), 'selfie-liveness-pack.lock');

async function withPackLock<T>(work: () => T): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(PACK_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a killed run: no pack takes five minutes.
      const held = statSync(PACK_LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 300_000) {
        rmSync(PACK_LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${PACK_LOCK} held for five minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return work();
  } finally {
    rmSync(PACK_LOCK, { recursive: true, force: true });
  }
}

/** Packs the package (building dist/ through prepack) into `destination`; returns the tarball's path. */
export async function packTarball(destination: string): Promise<string> {
  const packed = await withPackLock(() =>
    run('npm', ['pack', '--json', '--pack-destination', destination], ROOT),
  );
  expectSuccess('npm pack', packed);
  const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [
    { filename: string },
  ];
  return join(destination, filename);
}

/**
 * Installs the tarball alone into `app` (made if missing), as `npm install <tarball>` does with
 * nothing else declared, from npm's cache first. `--prefer-offline`, not `--offline`: resolving uuid's
 * range needs its registry metadata, which `npm ci` (lockfile URLs only) never caches; a fresh
 * machine fetches it once. The app's own package.json, when given, is written afterwards: npm would
 * otherwise install everything it declares.
 */
export function installTarball(app: string, tarball: string, appPackageJson?: string): void {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'throwaway-app', private: true }));
  expectSuccess(
    'npm install',
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app),
  );
  if (appPackageJson !== undefined) writeFileSync(join(app, 'package.json'), appPackageJson);
}

/** Links `node_modules/<name>` of `app` to `<modules>/<name>`, as if the app had installed it. */
export function linkPackage(app: string, modules: string, name: string): void {
  const link = join(app, 'node_modules', name);
  mkdirSync(dirname(link), { recursive: true });
  rmSync(link, { recursive: true, force: true });
  symlinkSync(join(modules, name), link, 'dir');
}

/** Tripwires for `docker` and `esbuild`: a PATH on which calling either leaves a mark and fails. */
export function tripwires(work: string): { path: string; marks: { docker: string; esbuild: string } } {
  const bin = join(work, 'tripwires');
  mkdirSync(bin, { recursive: true });
  const marks = { docker: join(work, 'docker-was-called'), esbuild: join(work, 'esbuild-was-called') };
  for (const tool of ['docker', 'esbuild'] as const) {
    writeFileSync(join(bin, tool), `#!/bin/sh\ntouch ${JSON.stringify(marks[tool])}\nexit 1\n`, {
      mode: 0o755,
    });
  }
  return { path: bin, marks };
}
