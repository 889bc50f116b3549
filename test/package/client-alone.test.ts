/**
 * The app client and the event contract install alone: the packed tarball in a throwaway app that
 * has neither aws-cdk-lib nor constructs (the construct's peers, optional so that npm does not
 * install them, 190 MB), loaded by Node 20 and Node 24, as an ES module and from CommonJS.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdFor } from '../../shared/events/index.js';
import { ensureNode24 } from '../../tools/node24.js';
import { expectSuccess, installTarball, PACKAGE, packTarball, run } from './packed.js';

// What an app does with the two entries: the client created (never called: no API here), a hint,
// an event id; printed as JSON for the test to compare.
const USE = `({
  client: typeof createLivenessClient({ baseUrl: 'https://api.example.com' }).checkSelfie,
  hint: hintForReason('FACE_TOO_CLOSE').title.length > 0,
  eventId: eventIdFor('check-1', 'PASSED', '2026-11-25T10:00:00.000Z'),
  passed: DETAIL_TYPES.PASSED,
})`;
const ESM_APP = `import { createLivenessClient, hintForReason } from '${PACKAGE.name}/client';
import { DETAIL_TYPES, eventIdFor } from '${PACKAGE.name}/events';
console.log(JSON.stringify(${USE}));
`;
const CJS_APP = `const { createLivenessClient, hintForReason } = require('${PACKAGE.name}/client');
const { DETAIL_TYPES, eventIdFor } = require('${PACKAGE.name}/events');
console.log(JSON.stringify(${USE}));
`;
const EXPECTED = {
  client: 'function',
  hint: true,
  eventId: eventIdFor('check-1', 'PASSED', '2026-11-25T10:00:00.000Z'),
  passed: 'Liveness Check Passed',
};

let work: string;
let app: string;
let node24: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'liveness-client-alone-'));
  app = join(work, 'app');
  const [tarball, binary] = await Promise.all([packTarball(work), ensureNode24()]);
  node24 = binary;
  installTarball(app, tarball);
  writeFileSync(join(app, 'app.mjs'), ESM_APP);
  writeFileSync(join(app, 'app.cjs'), CJS_APP);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the client and events entries, installed without the construct peers', () => {
  it('declares aws-cdk-lib and constructs as optional peers, so npm installs only the package and uuid', () => {
    expect(PACKAGE.peerDependenciesMeta).toEqual({
      'aws-cdk-lib': { optional: true },
      constructs: { optional: true },
    });
    expect(
      readdirSync(join(app, 'node_modules'))
        .filter((name) => !name.startsWith('.'))
        .sort(),
    ).toEqual([PACKAGE.name, 'uuid'].sort());
    expect(existsSync(join(app, 'node_modules', 'aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'constructs'))).toBe(false);
  });

  for (const [runtime, nodeOf] of [
    [`the tools' Node (${process.version})`, () => process.execPath],
    ['Node 24', () => node24],
  ] as const) {
    it(`loads as ES modules on ${runtime}`, () => {
      const result = expectSuccess('node app.mjs', run(nodeOf(), ['app.mjs'], app));
      expect(JSON.parse(result.stdout.trim())).toEqual(EXPECTED);
    });

    it(`loads from CommonJS on ${runtime}`, () => {
      const result = expectSuccess('node app.cjs', run(nodeOf(), ['app.cjs'], app));
      expect(JSON.parse(result.stdout.trim())).toEqual(EXPECTED);
    });
  }
});
