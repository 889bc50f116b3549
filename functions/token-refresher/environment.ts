import { DEFAULT_APPTENTICATE_URL } from '../../shared/apptenticate/endpoint.js';
import type { EnvDeclaration } from '../../shared/config.js';
import { POWERTOOLS_LOG_LEVEL } from '../commons/environment.js';

/** The token-refresher's environment: `config.ts` reads it, the stack sets it, docs/configuration.md shows it. */
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
  // Why 46,800 (13 h) with a 6 h schedule and 1-day refresh tokens: the last run before a token
  // lapses finds anywhere from 0 to one interval (6 h) left, so a margin at or below the interval
  // lets the token lapse whenever a login happened off the schedule's phase (with the old 2 h:
  // two times in three). The first run that logs in finds between margin - interval (7 h) and the
  // margin left; one failed run later 1 h still remains, so a margin of at least twice the interval
  // survives a failed run. Below lifetime - interval (18 h), or every run would log in. With the
  // defaults the refresher logs in every second run (every 12 h). infra/settings.ts refuses a
  // margin not above the schedule interval.
  REFRESH_MARGIN_SECONDS: {
    type: 'int',
    default: 46_800,
    min: 0,
    max: 30 * 86_400,
    unit: 'seconds',
    doc: 'a scheduled run skips login while the refresh token stays valid longer than this; must exceed the schedule interval (twice it survives a failed run)',
  },
  POWERTOOLS_LOG_LEVEL,
} as const satisfies EnvDeclaration;
