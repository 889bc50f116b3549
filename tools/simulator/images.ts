import { crc32, deflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Dimensions and a seed that makes the pixels (and so the bytes and their hash) differ. */
export interface ImageSpec {
  width: number;
  height: number;
  /** @default 0 */
  seed?: number;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function pngChunks({ width, height, seed = 0 }: ImageSpec): Buffer[] {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) raw[row + 1 + x] = (x * 7 + y * 13 + seed * 31) & 0xff;
  }
  return [PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw))];
}

/** A valid greyscale PNG of the given size; deterministic for a given spec. */
export function makePng(spec: ImageSpec): Buffer {
  return Buffer.concat([...pngChunks(spec), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A valid PNG of exactly `targetBytes` bytes: a 200x200 image padded with a private ancillary
 * chunk (which decoders skip). Useful for size-limit tests.
 */
export function paddedPng(targetBytes: number, seed = 0): Buffer {
  const head = Buffer.concat(pngChunks({ width: 200, height: 200, seed }));
  const end = chunk('IEND', Buffer.alloc(0));
  const padding = targetBytes - head.length - end.length - 12;
  if (padding < 0) throw new Error(`paddedPng needs at least ${head.length + end.length + 12} bytes`);
  return Buffer.concat([head, chunk('paDd', Buffer.alloc(padding, 0x20)), end]);
}

/**
 * A minimal JPEG: SOI, a JFIF APP0, a comment carrying the seed, a baseline SOF0 with the
 * dimensions, EOI. Enough for magic-byte and dimension checks; not decodable into pixels.
 */
export function makeJpeg({ width, height, seed = 0 }: ImageSpec): Buffer {
  const app0 = Buffer.from([
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00,
  ]);
  const text = Buffer.from(`seed:${seed}`, 'ascii');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), text]);
  com.writeUInt16BE(text.length + 2, 2);
  const sof = Buffer.from([
    0xff, 0xc0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
  ]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, com, sof, Buffer.from([0xff, 0xd9])]);
}
