/**
 * The time one record may take, stated once: the checker starts a record only when all of it fits
 * in what is left of the invocation, and the synth refuses a function timeout it could never fit in
 * (`infra/settings.ts`, rule `checker-timeout-fits-a-record`).
 *
 *   vendor call   = connect + response                  (one call, total: the client's call timeout)
 *   vendor budget = 4 x vendor call                     (refresh, liveness, 401 -> refresh, liveness)
 *   record budget = AWS before the vendor + vendor budget   (read the selfie, claim, the calls)
 *   to start      = record budget + outcome write margin    (verdict + delete, or release)
 *
 * With the defaults (2,000 + 8,000 ms): 10 s a call, 40 s of vendor, 45 s a record, 50 s to start
 * against a 60 s function timeout.
 */

/** The settings the arithmetic reads (the same names in `CheckerConfig` and `CheckerSettings`). */
export interface VendorTimeouts {
  vendorConnectTimeoutMs: number;
  vendorResponseTimeoutMs: number;
}

/** Vendor calls one record can make at worst: refresh, liveness, then after a 401 refresh and liveness again. */
export const VENDOR_CALLS_PER_RECORD = 4;

/** Allowance for the AWS calls before the vendor (S3 GetObject of the selfie, the claim's UpdateItem). */
export const AWS_BEFORE_VENDOR_MS = 5_000;

/**
 * Kept back from the record's deadline for writing its outcome (the verdict and the selfie delete, or
 * the release of the claim): the vendor calls stop this long before the invocation ends.
 */
export const OUTCOME_WRITE_MARGIN_MS = 5_000;

/**
 * The outcome write may use the rest of the invocation (its retries are bounded by it) but stops
 * this long before the end, so the batch response still goes out.
 */
export const INVOCATION_END_RESERVE_MS = 1_000;

/** One vendor call at its longest, connect to last body byte. */
export function vendorCallMs(t: VendorTimeouts): number {
  return t.vendorConnectTimeoutMs + t.vendorResponseTimeoutMs;
}

/** Everything a record does before its outcome write, at worst: the cap of its deadline. */
export function recordBudgetMs(t: VendorTimeouts): number {
  return AWS_BEFORE_VENDOR_MS + VENDOR_CALLS_PER_RECORD * vendorCallMs(t);
}

/** The invocation time a record needs before it may start: its budget plus the outcome write. */
export function recordStartMs(t: VendorTimeouts): number {
  return recordBudgetMs(t) + OUTCOME_WRITE_MARGIN_MS;
}
