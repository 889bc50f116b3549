/**
 * Runs in its own process (bundled like a function, plain `node`): one batch of 10 selfies of exactly
 * the size limit through the checker's real code, AWS faked in process, the simulator at VENDOR_URL.
 * Prints RSS figures as JSON on the last line of stdout.
 */
import { DEFAULT_SETTINGS } from '../infra/settings.js';
import { paddedPng } from '../tools/simulator/images.js';
import { createCheckerHarness, makeBatch, withCapturedStdout } from './lib/checker-harness.js';

const MiB = 1024 * 1024;
const afterImport = process.memoryUsage().rss;
const harness = await createCheckerHarness({
  baseUrl: process.env.VENDOR_URL ?? '',
  username: process.env.VENDOR_USERNAME ?? '',
  password: process.env.VENDOR_PASSWORD ?? '',
});
const size = DEFAULT_SETTINGS.maxObjectBytes;
const images = Array.from({ length: DEFAULT_SETTINGS.checker.batchSize }, (_, i) => paddedPng(size, i));
const { event } = makeBatch(harness.fake, images);
// The fake S3 holds the 10 objects in this process; on Lambda they stream from S3 instead.
const fakeObjectBytes = images.reduce((sum, image) => sum + image.length, 0);
const baseline = process.memoryUsage().rss;
const { value: failures } = await withCapturedStdout(() => harness.runBatch(event));
const afterBatch = process.memoryUsage().rss;
const maxRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  `${JSON.stringify({
    selfieBytes: size,
    selfies: images.length,
    failures,
    passed: [...harness.fake.items.values()].filter((item) => item.status?.S === 'PASSED').length,
    afterImportMiB: afterImport / MiB,
    baselineMiB: baseline / MiB,
    fakeObjectsMiB: fakeObjectBytes / MiB,
    afterBatchMiB: afterBatch / MiB,
    peakMiB: maxRss / MiB,
  })}\n`,
);
process.exit(0);
