/** CloudWatch Logs `FilterLogEvents`, paginated. */
import { type AwsApi, AwsApiError } from './aws-api.js';

/** One log event. */
export interface LogEvent {
  timestamp: number;
  message: string;
  logStreamName?: string;
}

/**
 * The events of a log group between two times, oldest first, at most `limit` (every page is read
 * until then); `undefined` when the log group does not exist (a local pipeline has none).
 */
export async function filterLogEvents(
  api: AwsApi,
  input: { logGroupName: string; start: Date; end: Date; filterPattern?: string; limit: number },
): Promise<LogEvent[] | undefined> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = (await api.json('logs', 'Logs_20140328.FilterLogEvents', {
        logGroupName: input.logGroupName,
        startTime: input.start.getTime(),
        endTime: input.end.getTime(),
        ...(input.filterPattern ? { filterPattern: input.filterPattern } : {}),
        ...(nextToken ? { nextToken } : {}),
      })) as { events?: LogEvent[]; nextToken?: string };
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken && events.length < input.limit);
  } catch (error) {
    if (error instanceof AwsApiError && error.code === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  return events.sort((a, b) => a.timestamp - b.timestamp).slice(-input.limit);
}
