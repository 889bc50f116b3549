/**
 * The reference capture page (`examples/capture-page/`, served at `/` by the local pipeline) in a real
 * headless Chromium: the one `@sparticuz/chromium` ships, driven by `playwright-core`, with a fake
 * camera playing a `.y4m` this test writes. The page is loaded from `http://localhost:<port>`, another
 * origin than the API (`http://127.0.0.1:<port>`) and the bucket (moto's port), so every call goes
 * through the browser's real CORS checks. Every screen is measured and screenshotted at 360x640 and
 * 740x360 (a phone upright and on its side) and checked with axe-core. Screenshots go to a temporary
 * folder, or to `docs/img/` with `CAPTURE_SCREENSHOTS=docs/img` (how the docs' screenshots are made).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import chromium from '@sparticuz/chromium';
import { type Browser, type BrowserContext, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearerToken,
  createLivenessClient,
  type HintedReason,
  hintForReason,
  REASON_HINTS,
} from '../../client/index.js';
import { sniffImage } from '../../shared/image.js';
import { localBearerToken } from '../../tools/local/local-auth.js';
import { type LocalPipeline, startLocalPipeline } from '../../tools/local/runtime.js';
import { faceY4m, grainyPng } from '../support/fake-camera.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A phone upright, then on its side: every screen must show all its controls at both. */
const SIZES = [
  { width: 360, height: 640, suffix: '' },
  { width: 740, height: 360, suffix: '-landscape' },
] as const;

/** Where a screen's parts are, at one size: what falls outside the viewport, and the picture sizes. */
interface Layout {
  /** The visible controls and headings of the current step that are not wholly in the viewport. */
  outside: string[];
  /** Visible buttons squeezed: narrower than 96 px, or taller than one line of text (64 px). */
  cramped: string[];
  /** Whether the document is taller than the viewport. */
  scrolls: boolean;
  viewfinder?: { width: number; height: number };
  sentPicture?: { width: number; height: number };
  /** The element with focus. */
  focused: string;
}

const MAX_SIDE_PX = 1000;
// The grainy photo below, scaled to 1000 px, is 141 kB as JPEG at quality 0.92 and 73 kB at 0.85;
// at 1280 px it would fit at 0.75 (90 kB): so each limit has to be applied for the test to pass.
const MAX_BYTES = 120_000;
// Shaped like a JWT from an identity provider; the local API does not verify it.
const TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"capture-e2e"}').toString('base64url')}.c2lnbmF0dXJl`;

describe('the capture page in a real browser', () => {
  let pipeline: LocalPipeline;
  let browser: Browser;
  let context: BrowserContext;
  let pageUrl: string;
  let dir: string;
  let shots: string;
  /** Every console message and page error of every page, for the secrets test. */
  const consoleLines: string[] = [];
  /** Every request the pages made: method, URL and the authorization header. */
  const requests: { method: string; url: string; authorization?: string }[] = [];

  beforeAll(async () => {
    // Made here, not when the file is collected, so listing the tests leaves nothing behind.
    dir = mkdtempSync(join(tmpdir(), 'capture-page-'));
    shots = process.env.CAPTURE_SCREENSHOTS ? resolve(process.env.CAPTURE_SCREENSHOTS) : join(dir, 'shots');
    mkdirSync(shots, { recursive: true });
    const camera = join(dir, 'face.y4m');
    writeFileSync(camera, faceY4m(640, 480, 2, { markHiddenSides: true }));
    pipeline = await startLocalPipeline({
      port: 0,
      retryDelaySeconds: 1,
      // Limits below the defaults, to see the page take them from the server's settings.
      settings: { maxObjectBytes: MAX_BYTES, checker: { maxImageSidePx: MAX_SIDE_PX } },
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
      sweepIntervalMs: 3_600_000,
    });
    pageUrl = `${pipeline.apiUrl.replace('127.0.0.1', 'localhost')}/`;
    browser = await playwright.launch({
      executablePath: await chromium.executablePath(),
      // @sparticuz/chromium's defaults switch CORS off (--disable-web-security): keep it on.
      args: [
        ...chromium.args.filter((arg) => arg !== '--disable-web-security'),
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${camera}`,
      ],
      headless: true,
    });
    context = await browser.newContext({ viewport: SIZES[0], deviceScaleFactor: 1 });
    // What an app embedding the page does under the JWT authorizer.
    await context.addInitScript({
      content: `window.livenessCapture = { getToken: async () => ${JSON.stringify(TOKEN)} };`,
    });
    // The pipeline and the browser start in seconds, but slower on a machine busy with other tests.
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Opens the page, with these fields of its configuration changed (see {@link configure}), and a
   * script run before the page's own when given.
   */
  async function openPage(fields: Record<string, unknown> = {}, init?: string): Promise<Page> {
    const page = await context.newPage();
    if (Object.keys(fields).length > 0) await configure(page, fields);
    if (init) await page.addInitScript({ content: init });
    page.on('console', (message) => consoleLines.push(message.text()));
    page.on('pageerror', (error) => consoleLines.push(`${error.name}: ${error.message}`));
    page.on('request', (request) => {
      const authorization = request.headers().authorization;
      requests.push({
        method: request.method(),
        url: request.url(),
        ...(authorization ? { authorization } : {}),
      });
    });
    await page.goto(pageUrl);
    await page.getByRole('heading', { name: 'Take a selfie' }).waitFor();
    return page;
  }

  /** Measures the current step in the page (DOM types by hand: the tests' tsconfig has none). */
  async function layoutOf(page: Page): Promise<Layout> {
    return await page.evaluate(() => {
      type Box = { top: number; left: number; bottom: number; right: number; width: number; height: number };
      type Node = {
        id: string;
        tagName: string;
        textContent: string | null;
        checkVisibility(): boolean;
        getBoundingClientRect(): Box;
        querySelectorAll(selector: string): Iterable<Node>;
        querySelector(selector: string): Node | null;
      };
      const dom = globalThis as unknown as {
        document: {
          querySelector(selector: string): Node | null;
          activeElement: Node | null;
          documentElement: { scrollHeight: number };
        };
        innerWidth: number;
        innerHeight: number;
      };
      const step = dom.document.querySelector('.step:not([hidden])');
      if (!step) throw new Error('no step is shown');
      const name = (node: Node) =>
        `${node.tagName.toLowerCase()}#${node.id} "${(node.textContent ?? '').trim()}"`;
      const outside = [...step.querySelectorAll('h2, button, .button, .viewfinder, .sent')]
        .filter((node) => node.checkVisibility())
        .filter((node) => {
          const box = node.getBoundingClientRect();
          return (
            box.top < 0 ||
            box.left < 0 ||
            box.bottom > dom.innerHeight + 0.5 ||
            box.right > dom.innerWidth + 0.5
          );
        })
        .map(name);
      const cramped = [...step.querySelectorAll('button, .button')]
        .filter((node) => node.checkVisibility())
        .filter((node) => {
          const box = node.getBoundingClientRect();
          return box.width < 96 || box.height > 64;
        })
        .map(name);
      const size = (selector: string) => {
        const node = step.querySelector(selector);
        if (!node?.checkVisibility()) return undefined;
        const { width, height } = node.getBoundingClientRect();
        return { width: Math.round(width), height: Math.round(height) };
      };
      const viewfinder = size('.viewfinder');
      const sentPicture = size('.sent');
      const focused = dom.document.activeElement;
      return {
        outside,
        cramped,
        scrolls: dom.document.documentElement.scrollHeight > dom.innerHeight,
        ...(viewfinder ? { viewfinder } : {}),
        ...(sentPicture ? { sentPicture } : {}),
        focused: focused ? `#${focused.id}` : 'none',
      };
    });
  }

  /** axe-core's violations on the page as it is (every rule axe runs by default). */
  async function axeViolations(page: Page): Promise<string[]> {
    // Evaluated through the DevTools protocol: the page's own CSP, which forbids other scripts, stays on.
    await page.evaluate(AXE_SOURCE);
    return await page.evaluate(async () => {
      type Result = { violations: { id: string; nodes: { target: string[] }[] }[] };
      const { axe } = globalThis as unknown as { axe: { run(): Promise<Result> } };
      const { violations } = await axe.run();
      return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
  }

  /** Every screen's layouts, by name and size, for the assertions on sizes. */
  const layouts = new Map<string, Layout>();

  /**
   * Looks at the screen shown at both sizes: every control and heading in the viewport, no axe-core
   * violation, a screenshot; back at the first size after.
   */
  async function checkScreen(page: Page, name: string): Promise<Layout[]> {
    const seen: Layout[] = [];
    for (const { suffix, ...size } of SIZES) {
      await page.setViewportSize(size);
      await page.evaluate(() => {
        const { requestAnimationFrame: frame } = globalThis as unknown as {
          requestAnimationFrame(callback: () => void): void;
        };
        return new Promise<void>((resolve) => frame(() => frame(resolve)));
      });
      // Taken first, to see what an assertion below is about.
      await page.screenshot({ path: join(shots, `capture-${name}${suffix}.png`) });
      const layout = await layoutOf(page);
      const where = `${name} at ${size.width}x${size.height}`;
      expect(layout.outside, `${where}: outside the viewport`).toEqual([]);
      expect(layout.cramped, `${where}: squeezed`).toEqual([]);
      expect(await axeViolations(page), `${where}: axe-core`).toEqual([]);
      layouts.set(`${name} ${size.width}x${size.height}`, layout);
      seen.push(layout);
    }
    await page.setViewportSize(SIZES[0]);
    return seen;
  }

  async function takeSelfie(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Use the camera' }).click();
    const shutter = page.getByRole('button', { name: 'Take the photo' });
    await expect.poll(async () => await shutter.isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Take the photo' }).click();
  }

  const uploads = () => requests.filter((r) => r.method === 'POST' && !r.url.startsWith(pipeline.apiUrl));

  async function selfieKeys(): Promise<string[]> {
    const { Contents = [] } = await pipeline.clients.s3.send(
      new ListObjectsV2Command({ Bucket: pipeline.resources.bucketName }),
    );
    return Contents.flatMap(({ Key }) => (Key ? [Key] : []));
  }

  /** The bytes of the next selfie uploaded, read while the checker is held back (resume it after). */
  async function nextUpload(act: () => Promise<void>): Promise<Uint8Array> {
    await pipeline.pauseChecker();
    const before = new Set(await selfieKeys());
    await act();
    let key: string | undefined;
    await expect
      .poll(async () => (key = (await selfieKeys()).find((k) => !before.has(k))), { timeout: 10_000 })
      .toBeDefined();
    const object = await pipeline.clients.s3.send(
      new GetObjectCommand({ Bucket: pipeline.resources.bucketName, Key: key }),
    );
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  }

  /** Decodes an image in the page and counts its magenta pixels (the camera's hidden sides). */
  async function countMarkerPixels(
    page: Page,
    bytes: Uint8Array,
  ): Promise<{ marker: number; total: number }> {
    return await page.evaluate(async (base64) => {
      // The DOM's types are not in the tests' tsconfig: the little used here, by hand.
      type Bitmap = { width: number; height: number };
      const dom = globalThis as unknown as {
        createImageBitmap(blob: Blob): Promise<Bitmap>;
        OffscreenCanvas: new (
          width: number,
          height: number,
        ) => {
          getContext(kind: '2d'): {
            drawImage(image: Bitmap, x: number, y: number): void;
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          } | null;
        };
      };
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const bitmap = await dom.createImageBitmap(new Blob([data], { type: 'image/jpeg' }));
      const context = new dom.OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      if (!context) throw new Error('no 2d context');
      context.drawImage(bitmap, 0, 0);
      const { data: rgba } = context.getImageData(0, 0, bitmap.width, bitmap.height);
      let marker = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        if ((rgba[i] ?? 0) > 180 && (rgba[i + 1] ?? 255) < 100 && (rgba[i + 2] ?? 0) > 180) marker++;
      }
      return { marker, total: rgba.length / 4 };
    }, Buffer.from(bytes).toString('base64'));
  }

  it('uploads the picture the viewfinder framed, with its aspect and nothing it cropped away', async () => {
    const page = await openPage();
    // The camera's own frame has magenta sides: the viewfinder crops them, so must the upload.
    let framed = { width: 0, height: 0 };
    const bytes = await nextUpload(async () => {
      await page.getByRole('button', { name: 'Use the camera' }).click();
      const shutter = page.getByRole('button', { name: 'Take the photo' });
      await expect.poll(async () => await shutter.isEnabled(), { timeout: 10_000 }).toBe(true);
      framed = (await page.locator('.viewfinder').boundingBox()) ?? framed;
      await shutter.click();
    });
    pipeline.resumeChecker();
    const image = sniffImage(bytes);
    expect(image?.contentType).toBe('image/jpeg');
    expect(framed.height).toBeGreaterThan(0);
    expect((image?.width ?? 0) / (image?.height ?? 1)).toBeCloseTo(framed.width / framed.height, 2);
    // The face keeps the camera's resolution: the 480 px frame's full height.
    expect(image?.height).toBe(480);
    const { marker, total } = await countMarkerPixels(page, bytes);
    expect(total).toBeGreaterThan(0);
    expect(marker).toBe(0);
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    await page.close();
  });

  it('takes a selfie with the camera, uploads it and shows the pass with the picture it sent', async () => {
    const page = await openPage();
    // A liveness check by default: the camera, and no way around it.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Use the camera']);
    expect(await page.getByLabel('Choose a photo').isVisible()).toBe(false);
    await checkScreen(page, 'start');
    await page.getByRole('button', { name: 'Use the camera' }).click();
    const shutter = page.getByRole('button', { name: 'Take the photo' });
    await expect.poll(async () => await shutter.isEnabled(), { timeout: 10_000 }).toBe(true);
    await expect(page.getByLabel('Camera preview')).toBeTruthy();
    const [portrait, landscape] = await checkScreen(page, 'camera');
    // Focus on the shutter scrolls nothing away: the whole step is on the screen at both sizes.
    for (const layout of [portrait, landscape]) {
      expect(layout).toMatchObject({ focused: '#take-photo', scrolls: false, outside: [] });
    }
    // The viewfinder takes the height the step leaves: at least 250x333 upright, 210x280 on its side.
    expect(portrait?.viewfinder?.width).toBeGreaterThanOrEqual(250);
    expect(landscape?.viewfinder?.height).toBeGreaterThanOrEqual(280);
    for (const viewfinder of [portrait?.viewfinder, landscape?.viewfinder])
      expect((viewfinder?.width ?? 0) / (viewfinder?.height ?? 1)).toBeCloseTo(3 / 4, 1);
    await shutter.click();
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    const [passed] = await checkScreen(page, 'passed');
    // The verdict comes with the picture it is about, decoded and shown.
    const shown = page.getByRole('img', { name: 'Your selfie, as sent' });
    expect(await shown.evaluate((img) => (img as unknown as { naturalHeight: number }).naturalHeight)).toBe(
      480,
    );
    expect(passed?.sentPicture?.height).toBeGreaterThan(100);
    // The way on is the host app's, and nothing here starts a second paid check.
    expect(await page.getByRole('button', { name: 'Continue' }).isVisible()).toBe(true);
    expect(await page.getByRole('button').count()).toBe(1);
    // The create call carried the app's token, through a CORS preflight from another origin.
    expect(requests.find((r) => r.method === 'POST' && r.url === `${pipeline.apiUrl}/checks`)).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
    });
    await page.close();
  });

  /** Serves the page's configuration with these fields changed, as an installation would set them. */
  async function configure(page: Page, fields: Record<string, unknown>): Promise<void> {
    await page.route('**/capture-config.json', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), ...fields } });
    });
  }

  it('hands the pass to the host app on "Continue": callback, event, message to the opener, return URL', async () => {
    const origin = new URL(pageUrl).origin;
    const host = await context.newPage();
    // The host app: a page of its own origin that opens the capture page and listens.
    await host.route(`${origin}/host.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Host</title>' }),
    );
    await host.goto(`${origin}/host.html`);
    await host.evaluate(() => {
      const scope = globalThis as unknown as {
        messages: unknown[];
        addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
      };
      scope.messages = [];
      scope.addEventListener('message', (event) => scope.messages.push(event.data));
    });
    const opened = context.waitForEvent('page');
    await host.evaluate(
      (url) => (globalThis as unknown as { open(url: string): unknown }).open(url),
      pageUrl,
    );
    const page = await opened;
    page.on('console', (message) => consoleLines.push(message.text()));
    // Seen from Node, since the page leaves for the return URL.
    const seen: unknown[] = [];
    await page.exposeFunction('recordDone', (how: string, done: unknown) => seen.push([how, done]));
    await page.addInitScript(() => {
      const scope = globalThis as unknown as {
        recordDone(how: string, done: unknown): void;
        livenessCapture?: { onDone?: (done: unknown) => void };
        addEventListener(type: string, listener: (event: { detail: unknown }) => void): void;
      };
      scope.livenessCapture = {
        ...scope.livenessCapture,
        onDone: (done) => scope.recordDone('callback', done),
      };
      scope.addEventListener('liveness:done', (event) => scope.recordDone('event', event.detail));
    });
    await configure(page, { hostOrigin: origin, returnUrl: `${origin}/done.html?order=7` });
    await page.route(`${origin}/done.html*`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>Done</title><h1>Back in the app</h1>',
      }),
    );
    await page.reload();
    await takeSelfie(page);
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Start again' }).count()).toBe(0);
    expect(seen).toEqual([]);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/done\.html/);
    const url = new URL(page.url());
    const checkId = url.searchParams.get('checkId');
    expect(checkId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.fromEntries(url.searchParams)).toEqual({ order: '7', checkId, status: 'PASSED' });
    expect(await host.evaluate(() => (globalThis as unknown as { messages: unknown[] }).messages)).toEqual([
      { type: 'liveness:done', checkId, status: 'PASSED' },
    ]);
    expect(seen).toEqual([
      ['callback', { checkId, status: 'PASSED' }],
      ['event', { checkId, status: 'PASSED' }],
    ]);
    await page.close();
    await host.close();
  });

  it('says it is done on "Continue" when no return URL is set, and fires the event once', async () => {
    const page = await openPage();
    await page.evaluate(() => {
      const scope = globalThis as unknown as {
        seen: unknown[];
        addEventListener(type: string, listener: (event: { detail: unknown }) => void): void;
      };
      scope.seen = [];
      scope.addEventListener('liveness:done', (event) => scope.seen.push(event.detail));
    });
    await takeSelfie(page);
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    const proceed = page.getByRole('button', { name: 'Continue' });
    await proceed.click();
    expect(await page.getByText('Done: you can close this page.').isVisible()).toBe(true);
    expect(await proceed.isDisabled()).toBe(true);
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: unknown[] }).seen);
    expect(seen).toEqual([{ checkId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'PASSED' }]);
    await page.close();
  });

  it('keeps waiting for the same check while it runs long: progress, "Stop waiting", a neutral "Check again"', async () => {
    const page = await context.newPage();
    page.on('console', (message) => consoleLines.push(message.text()));
    await configure(page, { verdictWaitMs: 4000 });
    await page.goto(pageUrl);
    await pipeline.pauseChecker();
    const creates = () =>
      requests.filter((r) => r.method === 'POST' && r.url === `${pipeline.apiUrl}/checks`);
    page.on('request', (request) => {
      if (request.method() === 'POST') requests.push({ method: 'POST', url: request.url() });
    });
    const createdBefore = creates().length;
    await takeSelfie(page);
    await page.getByRole('heading', { name: 'Checking your selfie' }).waitFor({ timeout: 10_000 });
    // Time waited shows as progress; the person may stop waiting.
    const bar = page.locator('#progress');
    await expect
      .poll(async () => Number(await bar.getAttribute('value')), { timeout: 5000 })
      .toBeGreaterThan(10);
    expect(await page.getByRole('button', { name: 'Stop waiting' }).isVisible()).toBe(true);
    // Said once: the heading, then the time waited (not a second "Checking your selfie").
    expect(await page.getByRole('progressbar').getAttribute('aria-label')).toBe('Time waited');
    expect(await page.getByText('Checking your selfie').count()).toBe(1);
    await checkScreen(page, 'waiting');
    const still = REASON_HINTS.STILL_CHECKING;
    await page.getByRole('heading', { name: still.title }).waitFor({ timeout: 10_000 });
    await checkScreen(page, 'still-checking');
    // Neutral, not the error style; the one action reads the same check again.
    const colour = await page
      .getByRole('heading', { name: still.title })
      .evaluate(
        (heading) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
            heading,
          ).color,
      );
    expect(colour).toBe('rgb(27, 31, 36)');
    expect(await page.getByRole('button').allTextContents()).toEqual(['Check again']);
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('heading', { name: 'Checking your selfie' }).waitFor();
    await page.getByRole('button', { name: 'Stop waiting' }).click();
    await page.getByRole('heading', { name: still.title }).waitFor();
    pipeline.resumeChecker();
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    // One check, read again: never a second one while the first was open.
    expect(creates().length).toBe(createdBefore + 1);
    await page.close();
  });

  it('shows the pre-check hint for a PDF and sends nothing', async () => {
    const page = await openPage({ allowPhoto: true });
    await checkScreen(page, 'start-with-photo');
    const before = requests.length;
    // The keyboard reaches both ways in: the camera button, then the file input behind its label.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('open-camera');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('pick-file');
    await page.getByLabel('Choose a photo').setInputFiles({
      name: 'passport.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n'),
    });
    const hint = REASON_HINTS.UNSUPPORTED_IMAGE_FORMAT;
    await page.getByRole('heading', { name: hint.title }).waitFor();
    expect(await page.getByText(hint.text).isVisible()).toBe(true);
    expect(requests.slice(before)).toEqual([]);
    // Nothing was sent, so no picture; the way on is another photo, or the camera.
    expect(await page.getByRole('img').count()).toBe(0);
    expect(await page.getByRole('button').allTextContents()).toEqual([
      'Choose another photo',
      'Use the camera',
    ]);
    await checkScreen(page, 'pdf');
    await page.close();
  });

  it.each([
    ['NotAllowedError', 'CAMERA_DENIED', 'camera-denied', true, ['Try the camera again', 'Choose a photo']],
    ['NotFoundError', 'CAMERA_NOT_FOUND', 'no-camera', true, ['Choose a photo', 'Try the camera again']],
    ['NotReadableError', 'CAMERA_BUSY', 'camera-busy', true, ['Try the camera again', 'Choose a photo']],
    ['NotAllowedError', 'CAMERA_DENIED', undefined, false, ['Try the camera again']],
  ] as const)(
    'tells a camera failing with %s apart as %s, with its own advice and way on (screen %s, photos allowed: %s)',
    async (name, reason, screen, allowPhoto, buttons) => {
      // getUserMedia's own error, as the browser throws it when the camera is refused, absent or busy.
      const page = await openPage(
        { allowPhoto },
        `navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('no camera for this test', ${JSON.stringify(name)}); };`,
      );
      await page.getByRole('button', { name: 'Use the camera' }).click();
      const hint = REASON_HINTS[reason as HintedReason];
      await page.getByRole('heading', { name: hint.title }).waitFor();
      expect(await page.getByText(hint.text).isVisible()).toBe(true);
      // No photo was tried: nothing says "another photo", and no picture was sent.
      expect(await page.getByRole('button').allTextContents()).toEqual(buttons);
      expect(await page.getByRole('img').count()).toBe(0);
      if (screen) await checkScreen(page, screen);
      // "Try the camera again" asks the browser again: the same refusal, the same advice.
      const requestsBefore = requests.length;
      await page.getByRole('button', { name: 'Try the camera again' }).click();
      await page.getByRole('heading', { name: hint.title }).waitFor();
      expect(requests.slice(requestsBefore)).toEqual([]);
      await page.close();
    },
  );

  it('words the hint for a chosen photo without the oval, and "Choose another photo" opens the picker', async () => {
    const page = await openPage({ allowPhoto: true });
    pipeline.simulator?.control.script({ type: 'rejection', code: 704, endpoint: 'liveness' });
    await page
      .getByLabel('Choose a photo')
      .setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: grainyPng(600, 800) });
    const hint = hintForReason('FACE_NOT_DETECTED', 'photo');
    expect(hint).not.toBe(REASON_HINTS.FACE_NOT_DETECTED);
    await page.getByRole('heading', { name: hint.title }).waitFor({ timeout: 20_000 });
    const result = page.locator('#step-result');
    expect(await result.getByText(hint.text).isVisible()).toBe(true);
    expect(await result.getByText(/oval|camera at/).count()).toBe(0);
    expect(await page.getByRole('img', { name: 'Your selfie, as sent' }).isVisible()).toBe(true);
    expect(await page.getByRole('button').allTextContents()).toEqual([
      'Choose another photo',
      'Use the camera',
    ]);
    await checkScreen(page, 'retake-photo');
    const chooser = page.waitForEvent('filechooser', { timeout: 5000 });
    await page.getByRole('button', { name: 'Choose another photo' }).click();
    expect((await chooser).isMultiple()).toBe(false);
    await page.close();
  });

  it('tells a chosen photo too small to check to choose a larger photo, not to retake', async () => {
    const page = await openPage({ allowPhoto: true });
    const before = requests.length;
    await page
      .getByLabel('Choose a photo')
      .setInputFiles({ name: 'tiny.png', mimeType: 'image/png', buffer: grainyPng(40, 50) });
    const hint = hintForReason('IMAGE_TOO_SMALL', 'photo');
    await page.getByRole('heading', { name: hint.title }).waitFor();
    expect(await page.getByText(hint.text).isVisible()).toBe(true);
    expect(hint.text).toMatch(/Choose a larger photo/);
    expect(await page.getByRole('button').allTextContents()).toEqual([
      'Choose another photo',
      'Use the camera',
    ]);
    expect(requests.slice(before)).toEqual([]);
    await checkScreen(page, 'photo-too-small');
    await page.close();
  });

  it('shows the retake hint when the vendor finds no face (704)', async () => {
    const page = await openPage();
    pipeline.simulator?.control.script({ type: 'rejection', code: 704, endpoint: 'liveness' });
    await takeSelfie(page);
    const hint = REASON_HINTS.FACE_NOT_DETECTED;
    await page.getByRole('heading', { name: hint.title }).waitFor({ timeout: 20_000 });
    expect(await page.getByText(hint.text).isVisible()).toBe(true);
    expect(await page.getByText('Support code: FACE_NOT_DETECTED').isVisible()).toBe(true);
    expect(await page.getByRole('img', { name: 'Your selfie, as sent' }).isVisible()).toBe(true);
    await checkScreen(page, 'retake');
    // The keyboard takes the person straight back to the camera, not to the start.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Retake the selfie']);
    await page.getByRole('button', { name: 'Retake the selfie' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Fit your face in the oval' }).waitFor();
    const shutter = page.getByRole('button', { name: 'Take the photo' });
    await expect.poll(async () => await shutter.isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate('document.activeElement?.id')).toBe('take-photo');
    await page.close();
  });

  it('downscales and re-encodes a photo over the maximum side and size, which then passes', async () => {
    const page = await openPage({ allowPhoto: true });
    const photo = grainyPng(2000, 1500);
    expect(photo.length).toBeGreaterThan(MAX_BYTES);
    // Hold the checker back to look at what the page uploaded before the checker deletes it.
    await pipeline.pauseChecker();
    const uploaded = uploads().length;
    await page
      .getByLabel('Choose a photo')
      .setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: photo });
    await expect.poll(() => uploads().length, { timeout: 10_000 }).toBe(uploaded + 1);
    const { bucketName } = pipeline.resources;
    let key: string | undefined;
    await expect
      .poll(async () => {
        const { Contents = [] } = await pipeline.clients.s3.send(
          new ListObjectsV2Command({ Bucket: bucketName }),
        );
        key = Contents[0]?.Key;
        return Contents.length;
      })
      .toBe(1);
    const object = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    // While the checker is held back, the page waits and says so.
    await page.getByRole('heading', { name: 'Checking your selfie' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('a few seconds');
    await checkScreen(page, 'checking');
    pipeline.resumeChecker();
    expect(bytes?.length).toBeLessThanOrEqual(MAX_BYTES);
    const image = sniffImage(bytes ?? new Uint8Array());
    expect(image?.contentType).toBe('image/jpeg');
    expect(Math.max(image?.width ?? Infinity, image?.height ?? Infinity)).toBeLessThanOrEqual(MAX_SIDE_PX);
    expect(image?.width).toBeGreaterThan(image?.height ?? Infinity); // the aspect ratio is kept
    await page.getByRole('heading', { name: 'Selfie verified' }).waitFor({ timeout: 20_000 });
    await page.close();
  });

  it('tells a person with too many checks open to try later, from the 429 the API answers across origins', async () => {
    // Another user, with three checks already open (issued, never uploaded): the per-user limit.
    const token = localBearerToken('busy-person').slice('Bearer '.length);
    const app = createLivenessClient({ baseUrl: pipeline.apiUrl, auth: bearerToken(token) });
    for (let i = 0; i < 3; i++) await app.createCheck();
    const page = await context.newPage();
    // Runs after the context's own init script: this page signs in as the busy person.
    await page.addInitScript({
      content: `window.livenessCapture = { getToken: async () => ${JSON.stringify(token)} };`,
    });
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(pageUrl);
    await takeSelfie(page);
    await page.getByRole('heading', { name: REASON_HINTS.RATE_LIMITED.title }).waitFor({ timeout: 10_000 });
    expect(await page.getByText(REASON_HINTS.RATE_LIMITED.text).isVisible()).toBe(true);
    // No retry before the API's Retry-After (30 s for open checks): the button counts down, disabled.
    const retry = page.getByRole('button', { name: /^Start again/ });
    expect(await retry.isDisabled()).toBe(true);
    expect(await retry.textContent()).toMatch(/^Start again in 0:(30|2\d)$/);
    // Waiting is no one's fault: the heading in the neutral ink, not the error red.
    const colour = await page
      .getByRole('heading', { name: REASON_HINTS.RATE_LIMITED.title })
      .evaluate(
        (heading) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
            heading,
          ).color,
      );
    expect(colour).toBe('rgb(27, 31, 36)');
    // The API refused to create a check: no picture was sent, so none is shown.
    expect(await page.getByRole('img').count()).toBe(0);
    await checkScreen(page, 'try-later');
    const shown = await retry.textContent();
    await expect.poll(async () => await retry.textContent(), { timeout: 3000 }).not.toBe(shown);
    expect(await retry.isDisabled()).toBe(true);
    await page.close();
  });

  it('offers no immediate retry when the vendor is down: "Start again" waits a few minutes', async () => {
    const page = await openPage();
    const receives = pipeline.settings.checker.maxReceiveCount;
    pipeline.simulator?.control.script({
      type: 'status',
      status: 500,
      endpoint: 'liveness',
      times: receives,
    });
    await takeSelfie(page);
    await page.getByText('Support code: VENDOR_UNAVAILABLE').waitFor({ timeout: 40_000 });
    const retry = page.getByRole('button', { name: /^Start again/ });
    expect(await retry.isDisabled()).toBe(true);
    expect(await retry.textContent()).toMatch(/^Start again in (2:00|1:5\d)$/);
    await page.close();
  });

  it('is refused by the API for a header its CORS rules do not allow: CORS is enforced in this browser', async () => {
    const page = await openPage();
    const outcome = await page.evaluate(async (api) => {
      try {
        await fetch(`${api}/checks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-not-allowed': 'yes' },
          body: '{}',
        });
        return 'sent';
      } catch (error) {
        return (error as Error).name;
      }
    }, pipeline.apiUrl);
    expect(outcome).toBe('TypeError');
    await page.close();
  });

  it('never puts a token, an upload form field or image data into the console', () => {
    const text = consoleLines.join('\n');
    // The refused request above is in it: the collection works.
    expect(text).toContain('blocked by CORS policy');
    for (const secret of [
      TOKEN,
      'X-Amz-Signature',
      'X-Amz-Credential',
      'Policy',
      'selfies/',
      'data:image',
      '/9j/',
      'iVBORw0KGgo',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
