import { startMoto } from '../local/moto.js';

/**
 * One moto for the whole life of a mutation worker: test files reuse it through `MOTO_ENDPOINT`
 * (see test/support/moto.ts) instead of starting their own for every mutant.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const moto = await startMoto();
  process.env.MOTO_ENDPOINT = moto.endpoint;
  return async () => {
    delete process.env.MOTO_ENDPOINT;
    await moto.stop();
  };
}
