import { DEFAULT_APPTENTICATE_URL } from '../../shared/apptenticate/client.js';
import type { EnvDeclaration } from '../../shared/config.js';

/** The token-refresher's environment: `config.ts` reads it, the stack sets it, the README documents it. */
export const TOKEN_REFRESHER_ENVIRONMENT = {
  CREDENTIALS_SECRET_ARN: {
    type: 'string',
    required: true,
    doc: 'the operator\'s `{"username","password"}` secret',
  },
  TOKEN_SECRET_ARN: {
    type: 'string',
    required: true,
    doc: 'the secret this function writes and checkers read',
  },
  LIVENESS_API_URL: { type: 'url', default: DEFAULT_APPTENTICATE_URL, doc: "the vendor's base URL" },
  MIN_WRITE_INTERVAL_SECONDS: {
    type: 'int',
    default: 600,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    doc: 'never writes the token secret more often, even when forced, unless the stored refresh token is about to expire',
  },
  REFRESH_MARGIN_SECONDS: {
    type: 'int',
    default: 7200,
    min: 0,
    max: 30 * 86_400,
    unit: 'seconds',
    doc: 'a scheduled run skips login while the refresh token stays valid longer than this',
  },
} as const satisfies EnvDeclaration;
