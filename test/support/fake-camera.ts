/**
 * Pictures for the browser tests: a `.y4m` video Chromium plays as its fake camera (a drawn face,
 * so screenshots look like a selfie), and a large grainy PNG, the kind of photo a phone keeps.
 */
import { crc32, deflateSync } from 'node:zlib';
import { mulberry32 } from '../../tools/seeded-random.js';

/** The colour {@link faceY4m} paints outside the central 3:4 of the frame, when asked to. */
export const HIDDEN_SIDE_MARKER = { y: 105, u: 212, v: 234 } as const; // magenta, far from skin and grey

/**
 * A YUV4MPEG2 (4:2:0) clip of `frames` identical frames: a skin-toned oval with eyes and a mouth on
 * a blue-grey background. Chromium loops it as the camera (`--use-file-for-fake-video-capture`).
 * With `markHiddenSides`, the sides a 3:4 viewfinder crops away are magenta
 * ({@link HIDDEN_SIDE_MARKER}), but for `marginPx` next to the crop's edge (JPEG and scaling blur
 * across edges): an upload with magenta in it holds what the person never saw.
 */
export function faceY4m(
  width = 640,
  height = 480,
  frames = 2,
  { markHiddenSides = false, marginPx = 8 }: { markHiddenSides?: boolean; marginPx?: number } = {},
): Buffer {
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  const inEllipse = (x: number, yy: number, cx: number, cy: number, rx: number, ry: number) =>
    ((x - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1;
  const face = (x: number, yy: number) =>
    inEllipse(x, yy, width / 2, height * 0.48, width * 0.17, height * 0.3);
  const hiddenWidth = (width - (height * 3) / 4) / 2;
  const hidden = (x: number) =>
    markHiddenSides && (x < hiddenWidth - marginPx || x >= width - hiddenWidth + marginPx);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      let luma = 90 + Math.round((row / height) * 40);
      if (face(col, row)) {
        luma = 170;
        const eye =
          inEllipse(col, row, width * 0.44, height * 0.4, width * 0.025, height * 0.02) ||
          inEllipse(col, row, width * 0.56, height * 0.4, width * 0.025, height * 0.02);
        const mouth = inEllipse(col, row, width / 2, height * 0.62, width * 0.06, height * 0.02);
        if (eye) luma = 40;
        if (mouth) luma = 100;
      }
      if (hidden(col)) luma = HIDDEN_SIDE_MARKER.y;
      y[row * width + col] = luma;
    }
  }
  for (let row = 0; row < height / 2; row++) {
    for (let col = 0; col < width / 2; col++) {
      const skin = face(col * 2, row * 2);
      const marker = hidden(col * 2);
      u[row * (width / 2) + col] = marker ? HIDDEN_SIDE_MARKER.u : skin ? 110 : 140;
      v[row * (width / 2) + col] = marker ? HIDDEN_SIDE_MARKER.v : skin ? 155 : 120;
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`),
    ...Array.from({ length: frames }, () => frame),
  ]);
}

/**
 * A greyscale PNG of a gradient with seeded grain, as grainy as a phone photo: PNG keeps the grain
 * (about half a byte per pixel), JPEG mostly drops it.
 */
export function grainyPng(width: number, height: number, seed = 1): Buffer {
  const random = mulberry32(seed);
  const raw = Buffer.alloc((width + 1) * height);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++)
      raw[row * (width + 1) + 1 + col] = Math.floor((col / width) * 200 + random() * 24);
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
