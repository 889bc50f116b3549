import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeJpeg, makePng, paddedPng } from '../../../tools/simulator/images.js';
import { inspectImage } from '../../../tools/simulator/inspect-image.js';

describe('inspectImage with the fixture images', () => {
  it('reads the dimensions of a generated PNG', () => {
    expect(inspectImage(makePng({ width: 640, height: 480 }))).toEqual({
      format: 'png',
      width: 640,
      height: 480,
    });
  });

  it('reads the dimensions of a generated JPEG from its SOF0', () => {
    expect(inspectImage(makeJpeg({ width: 1024, height: 768 }))).toEqual({
      format: 'jpeg',
      width: 1024,
      height: 768,
    });
  });

  it('recognises neither format in other bytes', () => {
    expect(inspectImage(Buffer.from('GIF89a'))).toEqual({ format: 'unknown' });
    expect(inspectImage(new Uint8Array())).toEqual({ format: 'unknown' });
  });

  it('gives a JPEG without a frame header no dimensions', () => {
    expect(inspectImage(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toEqual({ format: 'jpeg' });
  });

  it('generates PNG pixel data that inflates to the declared size', () => {
    const png = makePng({ width: 10, height: 4, seed: 2 });
    const idatLength = png.readUInt32BE(33);
    expect(png.toString('ascii', 37, 41)).toBe('IDAT');
    expect(inflateSync(png.subarray(41, 41 + idatLength)).length).toBe((10 + 1) * 4);
  });

  it('makes contents differ by seed and repeat for the same seed', () => {
    expect(
      makePng({ width: 20, height: 20, seed: 1 }).equals(makePng({ width: 20, height: 20, seed: 1 })),
    ).toBe(true);
    expect(
      makePng({ width: 20, height: 20, seed: 1 }).equals(makePng({ width: 20, height: 20, seed: 2 })),
    ).toBe(false);
    expect(
      makeJpeg({ width: 20, height: 20, seed: 1 }).equals(makeJpeg({ width: 20, height: 20, seed: 2 })),
    ).toBe(false);
  });

  it('pads a PNG to an exact size that still reads as a 200x200 PNG', () => {
    const png = paddedPng(50_000);
    expect(png.length).toBe(50_000);
    expect(inspectImage(png)).toEqual({ format: 'png', width: 200, height: 200 });
  });
});
