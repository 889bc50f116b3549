/** The app client (`client/`) against the local pipeline: the real API, moto's S3, the simulator. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearerToken,
  CheckNotFoundError,
  createLivenessClient,
  type Device,
  InvalidRequestError,
  type LivenessClient,
  RateLimitedError,
  SelfieRejectedError,
} from '../../client/index.js';
import { localBearerToken } from '../../tools/local/local-auth.js';
import { type LocalPipeline, startLocalPipeline } from '../../tools/local/runtime.js';
import { makeJpeg, makePng } from '../../tools/simulator/images.js';

describe('the app client against the local pipeline', () => {
  let pipeline: LocalPipeline;
  let app: LivenessClient;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({
      port: 0,
      retryDelaySeconds: 1,
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
      sweepIntervalMs: 3_600_000,
    });
    app = createLivenessClient({
      baseUrl: pipeline.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1.5, maxIntervalMs: 1000, timeoutMs: 20_000 },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('checks a selfie end to end through fetch, reporting the start and the end of the upload', async () => {
    const stages: string[] = [];
    const progress: number[] = [];
    const check = await app.checkSelfie(makeJpeg({ width: 640, height: 480, seed: 21 }), {
      device: 'ANDROID',
      reference: 'client-e2e',
      onStage: (stage) => stages.push(stage),
      onProgress: ({ loaded, total }) => progress.push(loaded / total),
    });
    expect(check).toMatchObject({ status: 'PASSED', device: 'ANDROID', reference: 'client-e2e' });
    expect(stages).toEqual(['uploading', 'checking']);
    expect(progress).toEqual([0, 1]);
  });

  it("reads the pipeline's own pre-check rejection for a selfie sent without the client's", async () => {
    const issued = await app.createCheck({ contentType: 'image/png' });
    await app.upload(issued, makePng({ width: 16, height: 16 }));
    expect(await app.waitForVerdict(issued.checkId)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'IMAGE_TOO_SMALL', source: 'precheck' },
    });
  });

  it('refuses with the client the selfie the pipeline would reject, creating no check', async () => {
    const error = await app
      .checkSelfie(makePng({ width: 16, height: 16 }), {
        limits: { minSidePx: pipeline.settings.checker.minImageSidePx },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SelfieRejectedError);
    expect(error).toMatchObject({ reason: 'IMAGE_TOO_SMALL' });
  });

  it("throws the API's own refusals as their specific errors", async () => {
    const invalid = await app.createCheck({ device: 'NOKIA' as Device }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid).toMatchObject({ status: 400, code: 'INVALID_DEVICE' });
    const missing = await app.getCheck(randomUUID()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CheckNotFoundError);
    expect(await app.getCheck('not-a-uuid').catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidRequestError',
      code: 'INVALID_CHECK_ID',
    });
  });

  it("binds checks to the signed-in user: another user's read is CheckNotFoundError, a 4th open check RateLimitedError", async () => {
    const as = (sub: string) =>
      createLivenessClient({
        baseUrl: pipeline.apiUrl,
        auth: bearerToken(localBearerToken(sub).slice('Bearer '.length)),
      });
    const alice = as('alice');
    const open = [await alice.createCheck(), await alice.createCheck(), await alice.createCheck()];
    await expect(alice.getCheck(open[0]?.checkId ?? '')).resolves.toMatchObject({
      status: 'AWAITING_UPLOAD',
    });
    await expect(as('bob').getCheck(open[0]?.checkId ?? '')).rejects.toBeInstanceOf(CheckNotFoundError);
    const limited = await alice.createCheck().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ status: 429, code: 'OPEN_CHECKS_LIMITED' });
    expect((limited as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
  });
});
