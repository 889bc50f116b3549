/**
 * `npm run check -- <image> [--device IOS] [--reference X]`: what an app does, against the pipeline
 * `npm start` runs: POST /checks, the presigned POST upload, wait for the verdict, print it and its event.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSelfie } from './app-client.js';

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
  const check = await checkSelfie(apiUrl, bytes, {
    ...(values.device ? { device: values.device.toUpperCase() } : {}),
    ...(values.reference ? { reference: values.reference } : {}),
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

main().catch((error: Error) => {
  console.error(`npm run check: ${error.message}`);
  process.exit(1);
});
