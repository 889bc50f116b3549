export { assertMotoInstalled, type Moto, startMoto } from '../../tools/local/moto.js';

/** Settings every SDK client in tests uses to reach moto. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    forcePathStyle: true,
  } as const;
}
