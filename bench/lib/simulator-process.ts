/** Starts the simulator in a child process and talks to its control interface over HTTP. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { SimulatorState } from '../../tools/simulator/server.js';
import { PROJECT_ROOT } from './bundle.js';

export interface SimulatorProcess {
  baseUrl: string;
  username: string;
  password: string;
  state(): Promise<SimulatorState>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(latencyMs: number): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/simulator-child.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error('the simulator process exited before it listened');
    }),
  ])) as [string];
  const info = JSON.parse(line) as { baseUrl: string; username: string; password: string };
  return {
    ...info,
    state: async () => (await (await fetch(`${info.baseUrl}/__control/state`)).json()) as SimulatorState,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
