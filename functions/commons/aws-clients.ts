/**
 * What every AWS SDK client a function creates starts from, declared once.
 */
import type { PipelineFunctionName } from './function-names.js';

/** The product part of each AWS client's user agent: `selfie-liveness/<function>`. */
export const USER_AGENT_PRODUCT = 'selfie-liveness';

/** The pipeline's functions, as they name themselves to AWS (the stack's function names). */
export type FunctionName = PipelineFunctionName;

/**
 * The options every AWS client of function `name` is built with: a user agent naming the function
 * (`selfie-liveness/checker`). The SDK sends it in `User-Agent` and `x-amz-user-agent`, CloudTrail
 * records it as the call's `userAgent`, and the local call recorder (`tools/local/aws-calls.ts`)
 * attributes each call to its function by it.
 */
export function awsClientOptions(name: FunctionName): { customUserAgent: [string, string][] } {
  return { customUserAgent: [[USER_AGENT_PRODUCT, name]] };
}
