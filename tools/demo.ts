/**
 * `npm run demo`: starts the local pipeline, submits generated selfies that play every outcome, prints
 * a table of verdicts and the events, stops everything and exits 0 (1 if an outcome is not as expected).
 */

import { createLivenessClient, type SelfieContentType } from '../client/index.js';
import { startLocalPipeline, type TappedEvent } from './local/runtime.js';
import { makeJpeg, makePng } from './simulator/images.js';
import type { ScriptedAnswer } from './simulator/server.js';

interface Sample {
  name: string;
  bytes: Uint8Array;
  contentType: SelfieContentType;
  /** What the simulator should answer first, if not its own judgement. */
  script?: ScriptedAnswer;
  expect: string;
}

const samples: Sample[] = [
  {
    name: 'a live selfie',
    bytes: makeJpeg({ width: 640, height: 480, seed: 1 }),
    contentType: 'image/jpeg',
    expect: 'PASSED',
  },
  {
    name: 'no face in the picture',
    bytes: makePng({ width: 320, height: 240, seed: 2 }),
    contentType: 'image/png',
    script: { type: 'rejection', code: 704, endpoint: 'liveness' },
    expect: 'REJECTED FACE_NOT_DETECTED',
  },
  {
    name: 'a face too small (80x80)',
    bytes: makePng({ width: 80, height: 80, seed: 3 }),
    contentType: 'image/png',
    expect: 'REJECTED FACE_TOO_SMALL',
  },
  {
    name: 'a PDF, not an image',
    bytes: new TextEncoder().encode('%PDF-1.7 this is not a selfie'),
    contentType: 'image/jpeg',
    expect: 'REJECTED UNSUPPORTED_IMAGE_FORMAT',
  },
  {
    name: 'a tiny thumbnail (16x16)',
    bytes: makePng({ width: 16, height: 16, seed: 4 }),
    contentType: 'image/png',
    expect: 'REJECTED IMAGE_TOO_SMALL',
  },
  {
    name: 'vendor hiccup (503), retried',
    bytes: makePng({ width: 400, height: 400, seed: 5 }),
    contentType: 'image/png',
    script: { type: 'status', status: 503, endpoint: 'liveness' },
    expect: 'PASSED',
  },
];

async function main(): Promise<number> {
  console.log('starting moto, the Apptenticate simulator and the pipeline...');
  const pipeline = await startLocalPipeline({
    port: 0,
    retryDelaySeconds: 1,
    environment: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    sweepIntervalMs: 3_600_000,
  });
  let failures = 0;
  const client = createLivenessClient({
    baseUrl: pipeline.apiUrl,
    polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
  });
  try {
    const rows: string[][] = [];
    for (const [i, sample] of samples.entries()) {
      if (sample.script) pipeline.simulator?.control.script(sample.script);
      // Created and uploaded without the client's own pre-check, to show the pipeline's.
      const issued = await client.createCheck({
        contentType: sample.contentType,
        device: 'IOS',
        reference: `demo-${i + 1}`,
      });
      await client.upload(issued, sample.bytes);
      const check = await client.waitForVerdict(issued.checkId);
      const event = await waitForEvent(pipeline.events, check.checkId);
      const reason = check.rejection
        ? `${check.rejection.reason}${check.rejection.code ? ` (${check.rejection.code})` : ''} by ${check.rejection.source}`
        : (check.failure?.reason ?? `transaction ${String(check.result?.transactionId ?? '')}`);
      const outcome = [check.status, check.rejection?.reason].filter(Boolean).join(' ');
      const ok = outcome === sample.expect;
      if (!ok) failures++;
      rows.push([
        sample.name,
        check.status,
        reason,
        String(event?.detail.attempts ?? '?'),
        event?.['detail-type'] ?? 'none',
        ok ? 'ok' : `expected ${sample.expect}`,
      ]);
    }
    printTable(['sample', 'status', 'why', 'attempts', 'event', 'check'], rows);
    console.log('\nevents on the bus (detail):');
    for (const event of pipeline.events)
      console.log(`${event['detail-type']}: ${JSON.stringify(event.detail)}`);
    const calls = pipeline.simulator?.control.state().counts;
    console.log(
      `\nvendor calls: ${calls?.liveness} liveness, ${calls?.login} login, ${calls?.refresh} refresh`,
    );
  } finally {
    await pipeline.stop();
  }
  console.log(
    failures === 0
      ? 'demo finished: every outcome as expected'
      : `demo finished: ${failures} outcome(s) not as expected`,
  );
  return failures === 0 ? 0 : 1;
}

async function waitForEvent(events: TappedEvent[], checkId: string): Promise<TappedEvent | undefined> {
  for (let i = 0; i < 100; i++) {
    const event = events.find((e) => e.detail.checkId === checkId);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`npm run demo: ${error.message}`);
    process.exit(1);
  },
);
