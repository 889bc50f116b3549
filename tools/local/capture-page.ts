/**
 * Serves the reference capture page (`examples/capture-page/`) at `/` of the local API: its HTML and
 * CSS, its script bundled by esbuild when the pipeline starts, and its configuration: the API's URL
 * and the limits the pipeline enforces, taken from the pipeline's own settings (never a copy).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CAPTURE_CONFIG_PATH, type CapturePageConfig } from '../../examples/capture-page/config.js';
import { UPLOAD_CONTENT_TYPES } from '../../functions/api/validation.js';
import type { PipelineSettings } from '../../infra/settings.js';

export { CAPTURE_CONFIG_PATH, type CapturePageConfig } from '../../examples/capture-page/config.js';

const PAGE_DIR = fileURLToPath(new URL('../../examples/capture-page/', import.meta.url));

/** What the page is served with. */
export interface CapturePageContext {
  config: CapturePageConfig;
  /** Where the browser may upload: the origin of the presigned POSTs (the bucket's endpoint). */
  uploadOrigin: string;
}

/** The page's files, ready to serve. */
export interface CapturePage {
  /** Answers a request for the page or one of its assets; `false` when the request is not for it. */
  serve(request: IncomingMessage, response: ServerResponse, context: CapturePageContext): boolean;
}

/** The limits of a selfie, from the pipeline's settings: what the api's upload form and the checker enforce. */
export function captureLimits(settings: PipelineSettings): CapturePageConfig['limits'] {
  return {
    contentTypes: [...UPLOAD_CONTENT_TYPES],
    maxBytes: settings.maxObjectBytes,
    minSidePx: settings.checker.minImageSidePx,
    maxSidePx: settings.checker.maxImageSidePx,
  };
}

/** Reads the page and bundles its script (about a tenth of a second). */
export async function buildCapturePage(): Promise<CapturePage> {
  const [html, css, bundle] = await Promise.all([
    readFile(`${PAGE_DIR}index.html`),
    readFile(`${PAGE_DIR}capture.css`),
    build({
      entryPoints: [`${PAGE_DIR}main.ts`],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    }),
  ]);
  const script = bundle.outputFiles[0]?.contents;
  if (!script) throw new Error('esbuild produced no bundle for the capture page');
  const assets: Record<string, { type: string; body: Uint8Array }> = {
    '/': { type: 'text/html; charset=utf-8', body: html },
    '/index.html': { type: 'text/html; charset=utf-8', body: html },
    '/capture.css': { type: 'text/css; charset=utf-8', body: css },
    '/capture.js': { type: 'text/javascript; charset=utf-8', body: script },
  };
  return {
    serve(request, response, { config, uploadOrigin }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const asset =
        path === CAPTURE_CONFIG_PATH
          ? { type: 'application/json', body: Buffer.from(JSON.stringify(config)) }
          : assets[path];
      if (!asset) return false;
      response.writeHead(200, {
        'content-type': asset.type,
        'content-length': asset.body.length,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        ...(asset.type.startsWith('text/html')
          ? { 'content-security-policy': contentSecurityPolicy(config.apiUrl, uploadOrigin) }
          : {}),
      });
      response.end(request.method === 'HEAD' ? undefined : asset.body);
      return true;
    },
  };
}

/** The page talks to itself, the API and the bucket, and runs only its own script. */
function contentSecurityPolicy(apiUrl: string, uploadOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self' ${new URL(apiUrl).origin} ${new URL(uploadOrigin).origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
