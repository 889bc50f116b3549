import { describe, expect, it } from 'vitest';
import { sniffImage } from '../../shared/image.js';
import { isPrecheckFailure, precheckImage, precheckSize } from '../../shared/precheck.js';
import { makeJpeg, makePng, paddedPng } from '../../tools/simulator/images.js';

const limits = { maxObjectBytes: 10_000, minImageSidePx: 64, maxImageSidePx: 4000 };

describe('precheckSize', () => {
  it('rejects an empty object as EMPTY_OBJECT', () => {
    expect(precheckSize(0, limits)?.reason).toBe('EMPTY_OBJECT');
  });
  it('rejects an object over the limit as OBJECT_TOO_LARGE', () => {
    expect(precheckSize(10_001, limits)?.reason).toBe('OBJECT_TOO_LARGE');
  });
  it('accepts an object at the limit', () => {
    expect(precheckSize(10_000, limits)).toBeUndefined();
  });
});

describe('precheckImage', () => {
  it('accepts a PNG and a JPEG of plausible size with their dimensions', () => {
    expect(precheckImage(makePng({ width: 120, height: 90 }), limits)).toEqual({
      format: 'png',
      contentType: 'image/png',
      width: 120,
      height: 90,
    });
    expect(precheckImage(makeJpeg({ width: 640, height: 480 }), limits)).toMatchObject({
      format: 'jpeg',
      width: 640,
    });
  });

  it('rejects bytes that are not an image as UNSUPPORTED_IMAGE_FORMAT', () => {
    const result = precheckImage(Buffer.from('%PDF-1.7 definitely not a selfie'), limits);
    expect(isPrecheckFailure(result) && result.reason).toBe('UNSUPPORTED_IMAGE_FORMAT');
  });

  it('rejects a truncated PNG header as UNSUPPORTED_IMAGE_FORMAT', () => {
    const result = precheckImage(makePng({ width: 100, height: 100 }).subarray(0, 20), limits);
    expect(isPrecheckFailure(result) && result.reason).toBe('UNSUPPORTED_IMAGE_FORMAT');
  });

  it('rejects a tiny image as IMAGE_TOO_SMALL', () => {
    const result = precheckImage(makePng({ width: 16, height: 16 }), limits);
    expect(isPrecheckFailure(result) && result.reason).toBe('IMAGE_TOO_SMALL');
  });

  it('rejects absurd dimensions as IMAGE_DIMENSIONS_INVALID', () => {
    const result = precheckImage(makeJpeg({ width: 60_000, height: 100 }), limits);
    expect(isPrecheckFailure(result) && result.reason).toBe('IMAGE_DIMENSIONS_INVALID');
  });

  it('rejects a zero side as IMAGE_DIMENSIONS_INVALID', () => {
    expect(precheckImage(makePng({ width: 0, height: 100 }), limits)).toEqual({
      reason: 'IMAGE_DIMENSIONS_INVALID',
      message: 'the image dimensions 0x100 are not plausible',
    });
  });

  it.each([
    [4001, 3000],
    [3000, 4001],
  ])(
    'rejects %ix%i, one side over the maximum, as IMAGE_DIMENSIONS_INVALID naming the limit',
    (width, height) => {
      expect(precheckImage(makeJpeg({ width, height }), limits)).toEqual({
        reason: 'IMAGE_DIMENSIONS_INVALID',
        message: `the image is ${width}x${height}; at most 4000 px on either side is accepted`,
      });
    },
  );

  it('accepts an image at the maximum on both sides', () => {
    expect(precheckImage(makeJpeg({ width: 4000, height: 4000 }), limits)).toMatchObject({ width: 4000 });
  });

  it('rejects a padded image over the limit as OBJECT_TOO_LARGE', () => {
    const result = precheckImage(paddedPng(10_001), limits);
    expect(isPrecheckFailure(result) && result.reason).toBe('OBJECT_TOO_LARGE');
  });
});

describe('sniffImage', () => {
  it('finds the frame of a JPEG after other segments', () => {
    expect(sniffImage(makeJpeg({ width: 321, height: 123, seed: 9 }))).toMatchObject({
      width: 321,
      height: 123,
    });
  });
  it('returns nothing for a JPEG whose scan starts before any frame', () => {
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00]))).toBeUndefined();
  });
});
