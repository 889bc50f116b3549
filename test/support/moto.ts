import { startMoto as launchMoto, type Moto } from '../../tools/local/moto.js';

export { assertMotoInstalled, type Moto } from '../../tools/local/moto.js';

/**
 * Starts moto for a test file. When `MOTO_ENDPOINT` names a moto that is already running (the
 * mutation run keeps one per worker, so a mutant does not pay for a start), forgets everything in
 * it instead and leaves it running: only one test file may use it at a time.
 */
export async function startMoto(): Promise<Moto> {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) return await launchMoto();
  const reset = async () => {
    const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
  };
  await reset();
  return { endpoint, port: Number(new URL(endpoint).port), reset, stop: async () => {} };
}

/** Settings every SDK client in tests uses to reach moto. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    forcePathStyle: true,
  } as const;
}
