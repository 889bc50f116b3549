/**
 * `npm run check -- <image> [--device IOS] [--reference X]`: what an app does, against the pipeline
 * `npm start` runs, through the app client (`client/`): the pre-check with the pipeline's limits,
 * POST /checks, the presigned POST upload, wait for the verdict, print it and its event.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLivenessClient,
  type Device,
  LivenessClientError,
  SelfieRejectedError,
  type UploadLimits,
} from '../client/index.js';
import { CAPTURE_CONFIG_PATH, type CapturePageConfig } from '../examples/capture-page/config.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { device: { type: 'string' }, reference: { type: 'string' }, api: { type: 'string' } },
  });
  const [image] = positionals;
  if (!image)
    throw new Error(
      'usage: npm run check -- <image> [--device DESKTOP|IOS|ANDROID] [--reference X] [--api URL]',
    );
  const resources = await readFile(resolve('.local/resources.json'), 'utf8').then(
    (text) => JSON.parse(text) as { apiUrl: string },
    () => undefined,
  );
  const apiUrl = values.api ?? resources?.apiUrl;
  if (!apiUrl)
    throw new Error('no pipeline found: run `npm start` in another terminal first (or pass --api URL)');
  const bytes = await readFile(image);
  const client = createLivenessClient({ baseUrl: apiUrl });
  const check = await client.checkSelfie(bytes, {
    ...(values.device ? { device: values.device.toUpperCase() as Device } : {}),
    ...(values.reference ? { reference: values.reference } : {}),
    ...(await serverLimits(apiUrl)),
    onStage: (stage, checkId) => console.log(`${stage.padEnd(9)} ${checkId}`),
    onProgress: ({ loaded, total }) => {
      if (loaded === total) console.log(`uploaded  ${total} bytes`);
    },
  });
  console.log('verdict');
  console.log(JSON.stringify(check, null, 2));
  const eventFile = resolve('.local/events', `${check.checkId}.json`);
  for (let i = 0; i < 50; i++) {
    const event = await readFile(eventFile, 'utf8').catch(() => undefined);
    if (event) {
      console.log('event');
      console.log(event.trim());
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`event  (not seen yet; it will appear in ${eventFile})`);
}

/** The limits the local pipeline serves from its settings; none from an API that does not serve them. */
async function serverLimits(apiUrl: string): Promise<{ limits?: UploadLimits }> {
  const response = await fetch(new URL(CAPTURE_CONFIG_PATH, apiUrl)).catch(() => undefined);
  if (!response?.ok) return {};
  const config = (await response.json()) as CapturePageConfig;
  return { limits: config.limits };
}

main().catch((error: Error) => {
  const why =
    error instanceof SelfieRejectedError
      ? `not sent: ${error.reason}: ${error.message}`
      : error instanceof LivenessClientError
        ? `${error.name}: ${error.message}`
        : error.message;
  console.error(`npm run check: ${why}`);
  process.exit(1);
});
