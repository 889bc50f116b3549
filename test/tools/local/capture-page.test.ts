import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_CONTENT_TYPES } from '../../../functions/api/validation.js';
import { resolveSettings } from '../../../infra/settings.js';
import { buildCapturePage, CAPTURE_CONFIG_PATH, captureLimits } from '../../../tools/local/capture-page.js';
import { listen } from '../../../tools/local/local-api.js';

describe('the capture page server', () => {
  const settings = resolveSettings({
    maxObjectBytes: 123_456,
    checker: { minImageSidePx: 80, maxImageSidePx: 900 },
  });
  const config = { apiUrl: 'http://127.0.0.1:3000', limits: captureLimits(settings) };
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const page = await buildCapturePage();
    server = createServer((request, response) => {
      if (!page.serve(request, response, { config, uploadOrigin: 'http://127.0.0.1:5000' })) {
        response.writeHead(418).end();
      }
    });
    base = `http://127.0.0.1:${await listen(server, 0)}`;
  });

  afterAll(() => {
    server?.close();
  });

  it("takes the limits from the pipeline's settings and the api's content types", () => {
    expect(config.limits).toEqual({
      contentTypes: [...UPLOAD_CONTENT_TYPES],
      maxBytes: 123_456,
      minSidePx: 80,
      maxSidePx: 900,
    });
  });

  it('serves the configuration as JSON', async () => {
    const response = await fetch(`${base}${CAPTURE_CONFIG_PATH}`);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(config);
  });

  it('serves the page with a policy that allows only itself, the API and the upload origin', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<script type="module" src="capture.js"></script>');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:5000");
  });

  it('serves the bundled script and the style sheet', async () => {
    const script = await fetch(`${base}/capture.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await script.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}/capture.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('leaves every other request to the API', async () => {
    expect((await fetch(`${base}/checks`)).status).toBe(418);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(418);
  });
});
