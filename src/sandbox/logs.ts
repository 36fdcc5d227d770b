import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { LogEvent, LogGroup } from './model.js';
import { parseArn } from './model.js';

const err = (code: string, message: string): Error => awsError('CloudWatchLogs', code, message);

/** The only retention periods PutRetentionPolicy accepts (its API reference, retentionInDays). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function newLogGroup(accountId: string, region: string, name: string, now: number): LogGroup {
  return { name, arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}`, createdAt: now, tags: {}, streams: new Set(), events: [] };
}

function groupByIdentifier(ctx: CallContext, id: string | undefined): LogGroup {
  if (!id) throw err('InvalidParameterException', 'logGroupName or logGroupIdentifier is required.');
  let account = ctx.accountId;
  let region = ctx.region;
  let name = id;
  const arn = parseArn(id);
  if (arn) {
    account = arn.account;
    region = arn.region;
    name = arn.resource.replace(/^log-group:/, '').replace(/:\*$/, '');
    if (account !== ctx.accountId) throw err('AccessDeniedException', `User: ${ctx.principal} is not authorized to access log group ${id}.`);
  }
  const group = ctx.cloud.regionState(account, region)?.logGroups.get(name);
  if (!group) throw err('ResourceNotFoundException', 'The specified log group does not exist.');
  return group;
}

/**
 * A simple subset of the CloudWatch Logs filter pattern syntax: empty matches everything, a quoted
 * string matches that phrase, otherwise every whitespace-separated term must appear. JSON and
 * space-delimited patterns are not modelled and fail loudly.
 */
export function matchesFilter(pattern: string | undefined, message: string): boolean {
  const p = (pattern ?? '').trim();
  if (p === '') return true;
  if (p.startsWith('{') || p.startsWith('[')) throw err('InvalidParameterException', `FakeCloud does not model filter pattern syntax: ${p}`);
  const phrase = /^"(.*)"$/.exec(p);
  if (phrase) return message.includes(phrase[1]!);
  return p.split(/\s+/).every((term) => message.includes(term.replace(/^"|"$/g, '')));
}

function eventView(e: LogEvent) {
  return { logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId };
}

/**
 * A Live Tail session covers events ingested from its start until it ends (`liveTailSessionMs` later, then
 * SessionTimeoutException, as AWS ends sessions after 3 hours). It polls the log store once a virtual
 * second, only while someone is iterating it, and pushes an update each time, empty or not. Events
 * ingested before the session started or after it ended are not in it: a client that reconnects must
 * backfill the gap itself (FilterLogEvents), as with the real service.
 */
export function liveTail(cloud: Cloud, groups: LogGroup[], input: { logStreamNames?: string[]; logStreamNamePrefixes?: string[]; logEventFilterPattern?: string; logGroupIdentifiers?: string[] }, startedAt: number): AsyncIterable<unknown> {
  const deadline = startedAt + cloud.liveTailSessionMs;
  const yielded = new Set<number>();
  return {
    async *[Symbol.asyncIterator]() {
      yield { sessionStart: { requestId: 'fake-request-id', sessionId: cloud.ids.uuid(), logGroupIdentifiers: input.logGroupIdentifiers, ...(input.logStreamNames ? { logStreamNames: input.logStreamNames } : {}), ...(input.logStreamNamePrefixes ? { logStreamNamePrefixes: input.logStreamNamePrefixes } : {}), logEventFilterPattern: input.logEventFilterPattern ?? '' } };
      for (;;) {
        await cloud.clock.sleep(Math.max(0, Math.min(1000, deadline - cloud.clock.now())));
        await cloud.materialize();
        const fresh: Array<LogEvent & { group: LogGroup }> = [];
        for (const g of groups) {
          for (const e of g.events) {
            if (yielded.has(e.seq) || e.ingestionTime < startedAt || e.ingestionTime >= deadline) continue;
            if (input.logStreamNames && !input.logStreamNames.includes(e.logStreamName)) continue;
            if (input.logStreamNamePrefixes && !input.logStreamNamePrefixes.some((p) => e.logStreamName.startsWith(p))) continue;
            if (!matchesFilter(input.logEventFilterPattern, e.message)) continue;
            fresh.push({ ...e, group: g });
          }
        }
        for (const e of fresh) yielded.add(e.seq);
        fresh.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
        if (fresh.length > 0 || cloud.clock.now() < deadline) {
          yield {
            sessionUpdate: {
              sessionMetadata: { sampled: false },
              sessionResults: fresh.map((e) => ({ logStreamName: e.logStreamName, logGroupIdentifier: e.group.arn, message: e.message, timestamp: e.timestamp, ingestionTime: e.ingestionTime })),
            },
          };
        }
        if (cloud.clock.now() >= deadline) {
          throw err('SessionTimeoutException', `Live Tail session has ended after reaching the maximum session duration of ${cloud.liveTailSessionMs / 1000} seconds.`);
        }
      }
    },
  };
}

export const logsModel: ServiceModel = {
  service: 'CloudWatchLogs',
  client: CloudWatchLogsClient,
  operations: {
    CreateLogGroup: {
      mutating: true,
      run(ctx, input) {
        const name: string | undefined = input.logGroupName;
        if (!name || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) throw err('InvalidParameterException', `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint`);
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        if (rs.logGroups.has(name)) throw err('ResourceAlreadyExistsException', 'The specified log group already exists');
        const g = newLogGroup(ctx.accountId, ctx.region, name, ctx.now);
        Object.assign(g.tags, input.tags ?? {});
        rs.logGroups.set(name, g);
        return {};
      },
    },
    DeleteLogGroup: {
      mutating: true,
      run(ctx, input) {
        const g = groupByIdentifier(ctx, input.logGroupName);
        ctx.cloud.regionState(ctx.accountId, ctx.region)!.logGroups.delete(g.name);
        return {};
      },
    },
    PutRetentionPolicy: {
      mutating: true,
      run(ctx, input) {
        const g = groupByIdentifier(ctx, input.logGroupName);
        if (!RETENTION_DAYS.includes(input.retentionInDays)) {
          throw err('InvalidParameterException', `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
        }
        g.retentionInDays = input.retentionInDays;
        return {};
      },
    },
    DescribeLogGroups: {
      mutating: false,
      run(ctx, input) {
        const groups = [...ctx.cloud.regionState(ctx.accountId, ctx.region)!.logGroups.values()]
          .filter((g) => (!input.logGroupNamePrefix || g.name.startsWith(input.logGroupNamePrefix)) && (!input.logGroupNamePattern || g.name.includes(input.logGroupNamePattern)))
          .sort((a, b) => a.name.localeCompare(b.name));
        return {
          logGroups: groups.map((g) => ({
            logGroupName: g.name,
            creationTime: g.createdAt,
            ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
            metricFilterCount: 0,
            arn: `${g.arn}:*`,
            logGroupArn: g.arn,
            storedBytes: g.events.reduce((n, e) => n + e.message.length, 0),
            logGroupClass: 'STANDARD',
          })),
        };
      },
    },
    ListTagsForResource: {
      mutating: false,
      run(ctx, input) {
        // The API reference: a log group's ARN here is `arn:aws:logs:Region:account-id:log-group:log-group-name`,
        // without the trailing `:*` (LogGroup.logGroupArn). Destinations are not modelled.
        const arn: string = input.resourceArn ?? '';
        if (!/:log-group:[^:*]+$/.test(arn)) throw err('InvalidParameterException', `FakeCloud models ListTagsForResource only on a log group ARN without a trailing :*, not ${arn}.`);
        return { tags: { ...groupByIdentifier(ctx, arn).tags } };
      },
    },
    FilterLogEvents: {
      mutating: false,
      run(ctx, input) {
        if (input.logGroupName && input.logGroupIdentifier) throw err('InvalidParameterException', 'LogGroupName and LogGroupIdentifier are mutually exclusive parameters.');
        const g = groupByIdentifier(ctx, input.logGroupIdentifier ?? input.logGroupName);
        const limit = Math.min(input.limit ?? 10_000, 10_000);
        const matching = g.events
          .filter(
            (e) =>
              (input.startTime === undefined || e.timestamp >= input.startTime) &&
              (input.endTime === undefined || e.timestamp <= input.endTime) &&
              (!input.logStreamNames || input.logStreamNames.includes(e.logStreamName)) &&
              (!input.logStreamNamePrefix || e.logStreamName.startsWith(input.logStreamNamePrefix)) &&
              matchesFilter(input.filterPattern, e.message),
          )
          .sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
        const offset = input.nextToken ? Number(Buffer.from(String(input.nextToken), 'base64').toString('utf8').replace(/^offset:/, '')) : 0;
        if (!Number.isInteger(offset) || offset < 0) throw err('InvalidParameterException', 'The specified nextToken is invalid.');
        const page = matching.slice(offset, offset + limit);
        const more = offset + page.length < matching.length;
        return {
          events: page.map(eventView),
          searchedLogStreams: [...g.streams].map((s) => ({ logStreamName: s, searchedCompletely: true })),
          ...(more ? { nextToken: Buffer.from(`offset:${offset + page.length}`).toString('base64') } : {}),
        };
      },
    },
    StartLiveTail: {
      mutating: false,
      run(ctx, input) {
        const unavailable = ctx.cloud.liveTailUnavailable;
        if (unavailable) {
          const u = unavailable === true ? { code: 'UnknownOperationException', message: 'StartLiveTail is not supported by this endpoint.' } : unavailable;
          throw err(u.code, u.message);
        }
        const ids: string[] = input.logGroupIdentifiers ?? [];
        if (ids.length === 0 || ids.length > 10) throw err('InvalidParameterException', 'logGroupIdentifiers must contain between 1 and 10 log group ARNs.');
        for (const id of ids) {
          // The API reference: "Specify each log group by its ARN ... the ARN can't end with an asterisk".
          if (!id.startsWith('arn:') || id.endsWith('*')) throw err('InvalidParameterException', `Invalid log group identifier ${id}: specify each log group by its ARN, without a trailing :*.`);
        }
        const groups = ids.map((id) => groupByIdentifier(ctx, id));
        return { responseStream: liveTail(ctx.cloud, groups, input, ctx.now) };
      },
    },
  },
};
