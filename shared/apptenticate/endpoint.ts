/**
 * Apptenticate's production API. In a module of its own, free of the HTTP client's imports: the
 * functions' environment declarations (read by the CDK construct at synth) need the value, and the
 * construct must not load undici.
 */
export const DEFAULT_APPTENTICATE_URL = 'https://api.apptenticate.com';
