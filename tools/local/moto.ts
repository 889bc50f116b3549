import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A running `moto_server` on 127.0.0.1, the real-protocol stand-in for AWS. */
export interface Moto {
  endpoint: string;
  port: number;
  /** Forgets every resource, so one server can serve several tests. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The Python that runs moto: `MOTO_PYTHON`, or `python3`. */
const python = () => process.env.MOTO_PYTHON ?? 'python3';

// moto's own server application, with DynamoDB writes made atomic (see the script's docstring).
const LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));

/** Throws a clear error when `moto_server` (moto with its server extras) is not installed. */
export function assertMotoInstalled(command = process.env.MOTO_SERVER ?? 'moto_server'): void {
  const probe = spawnSync(command, ['--help'], { stdio: 'ignore' });
  const importable = spawnSync(python(), ['-c', 'import moto.server, werkzeug'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0 || importable.error || importable.status !== 0) {
    throw new Error(
      `moto_server was not found (tried "${command}" and "${python()} -c 'import moto.server'"). ` +
        'Install it with: pip install "moto[server]==5.2.1" (or set MOTO_SERVER / MOTO_PYTHON).',
    );
  }
}

/** Starts moto's server on a free port of 127.0.0.1 and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  assertMotoInstalled();
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(python(), [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
      // moto writes eventTime without a zone: keep it UTC.
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    if (await waitUntilUp(endpoint, child)) {
      return {
        endpoint,
        port,
        reset: async () => {
          const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
          if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
        },
        stop: () => stopProcess(child),
      };
    }
    await stopProcess(child);
    if (!/Address already in use/i.test(stderr)) {
      throw new Error(`moto did not start on port ${port}: ${stderr.trim().slice(-500)}`);
    }
  }
  throw new Error('moto could not find a free port after 3 attempts');
}

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
