/** What the ops tool reads from CloudWatch and CloudWatch Logs on a deployed stack, every page of it. */
import {
  type CloudWatchClient,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';

/** The datapoints of each query between two times, by query id (a period without data has none). */
export async function getMetricValues(
  client: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Map<string, number[]>> {
  const values = new Map<string, number[]>(queries.map((q) => [q.Id ?? '', []]));
  const pages = paginateGetMetricData(
    { client },
    { MetricDataQueries: [...queries], StartTime: start, EndTime: end },
  );
  for await (const page of pages) {
    for (const result of page.MetricDataResults ?? []) {
      values.get(result.Id ?? '')?.push(...(result.Values ?? []));
    }
  }
  return values;
}

/** One log line. */
export interface LogEvent {
  timestamp: number;
  message: string;
}

/**
 * The lines of a log group between two times, oldest first, at most the last `limit` (pages are read
 * until then); `undefined` when the log group does not exist.
 */
export async function filterLogEvents(
  client: CloudWatchLogsClient,
  input: { logGroupName: string; start: Date; end: Date; filterPattern?: string; limit: number },
): Promise<LogEvent[] | undefined> {
  const events: LogEvent[] = [];
  const pages = paginateFilterLogEvents(
    { client },
    {
      logGroupName: input.logGroupName,
      startTime: input.start.getTime(),
      endTime: input.end.getTime(),
      ...(input.filterPattern ? { filterPattern: input.filterPattern } : {}),
    },
  );
  try {
    for await (const page of pages) {
      events.push(...(page.events ?? []).flatMap(toLogEvent));
      if (events.length >= input.limit) break;
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  return events.sort((a, b) => a.timestamp - b.timestamp).slice(-input.limit);
}

function toLogEvent(event: FilteredLogEvent): LogEvent[] {
  return event.timestamp !== undefined && event.message !== undefined
    ? [{ timestamp: event.timestamp, message: event.message }]
    : [];
}
