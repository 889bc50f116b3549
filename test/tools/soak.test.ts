import { describe, expect, it } from 'vitest';
import { figuresAfter, SOAK_SUITES, summarize } from '../../tools/soak.js';

describe('the soak tally', () => {
  it('reads the figures a suite printed among its other output, colours and braces in strings included', () => {
    const output = [
      'stdout | test/e2e/crash.e2e.test.ts > 200 checks',
      '\u001b[22m\u001b[39mcrash e2e figures: {',
      '  "paidVendorCalls": 209,',
      '  "notFinalDetail": ["a {b} \\"c\\""],',
      '  "containers": { "checker": { "crashes": 14 } }',
      '}',
      ' ✓ test/e2e/crash.e2e.test.ts (1 test) 187657ms',
    ].join('\n');
    expect(figuresAfter(output, 'crash e2e figures:')).toEqual({
      paidVendorCalls: 209,
      notFinalDetail: ['a {b} "c"'],
      containers: { checker: { crashes: 14 } },
    });
    expect(figuresAfter(output, 'aws-faults e2e figures:')).toBeUndefined();
  });

  it("maps each suite's figures onto paid calls, explained and unexplained extras", () => {
    expect(
      SOAK_SUITES['aws-faults']?.tally({
        paidVendorCalls: 260,
        checksDecidedByVendor: 200,
        vendorFailedAttempts: 55,
        abandonedAnswers: 4,
        extraPaidCalls: 1,
        checksPaidTwice: ['x'],
      }),
    ).toEqual({
      paidVendorCalls: 260,
      extraPaidCalls: 60,
      explainedExtraPaidCalls: 59,
      unexplainedPaidCalls: 1,
      abandonedAnswers: 4,
    });
    expect(
      SOAK_SUITES.crash?.tally({
        paidVendorCalls: 209,
        extraPaidCalls: 9,
        extraPaidCallsExplainedByCrashes: 8,
        extraPaidCallsExplainedByAbandonedAnswers: 1,
        extraPaidCallsUnexplained: 0,
        abandonedAnswers: 5,
      }),
    ).toEqual({
      paidVendorCalls: 209,
      extraPaidCalls: 9,
      explainedExtraPaidCalls: 9,
      unexplainedPaidCalls: 0,
      abandonedAnswers: 5,
    });
  });

  it('counts passed and failed runs, times only the runs that ran, and sums their paid calls', () => {
    const tally = summarize([
      {
        run: 1,
        passed: true,
        ran: true,
        seconds: 80,
        loadAtStart: 1,
        paidVendorCalls: 210,
        extraPaidCalls: 10,
      },
      { run: 2, passed: false, ran: true, seconds: 100, loadAtStart: 3, failure: 'AssertionError: x' },
      { run: 3, passed: false, ran: false, seconds: 6, loadAtStart: 3, failure: 'Error: not defined' },
    ]);
    expect(tally).toMatchObject({
      runs: 3,
      passed: 1,
      failed: 2,
      failedWithoutFigures: 1,
      secondsPerRun: { mean: 90, max: 100 },
      paidVendorCalls: 210,
      extraPaidCalls: 10,
    });
  });
});
