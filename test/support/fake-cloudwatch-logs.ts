import { loopbackClientConfig } from '#lib/local/aws.ts';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/**
 * A loopback CloudWatch Logs speaking AWS JSON 1.1 (`X-Amz-Target: Logs_20140328.<Action>`):
 * DescribeLogGroups (by prefix), StartQuery and GetQueryResults. It holds log events per group and
 * runs the small subset of Logs Insights that `npm run status` sends, so a test checks the query's
 * meaning, not only its text:
 *   fields a, b | filter <expr> | stats count(*) as <name> by <field> | sort @timestamp asc | limit <n>
 * where <expr> combines `field = "s"`, `field in ["s", …]` and `field like /regex/` with `and`, `or`
 * and parentheses. Fields come from the event's JSON message, plus @timestamp, @log and @message.
 * A query answers Running on its first poll and Complete after, so the caller's polling is exercised.
 * Anything else in a query is an error (MalformedQueryException), as a typo would be in AWS.
 */
export interface FakeLogEvent {
  group: string;
  /** Epoch ms. */
  timestamp: number;
  /** The line as Lambda stores it: Powertools' JSON. */
  message: string;
}

export interface StartedQuery {
  logGroupNames: string[];
  startTime: number;
  endTime: number;
  queryString: string;
}

export interface FakeCloudWatchLogs {
  endpoint: string;
  client: CloudWatchLogsClient;
  /** Adds a line; its group exists from then on. */
  log(group: string, timestamp: number, fields: Record<string, unknown>): void;
  createLogGroup(group: string): void;
  queries: StartedQuery[];
  close(): Promise<void>;
}

class LogsError extends Error {
  readonly type: string;

  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

type Row = Record<string, string>;
type Predicate = (row: Row) => boolean;

/** `@timestamp` as Logs Insights prints it: `2025-03-01 15:00:00.000`. */
const insightsTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function tokenize(text: string): string[] {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\/(?:[^/\\]|\\.)*\/|[()[\],=]|[@\w.]+|\S/g) ?? [];
  return tokens;
}

/** `a = "x" or (b in ["y"] and c like /^z/)` → a predicate over a row. */
function parseFilter(text: string): Predicate {
  const tokens = tokenize(text);
  let at = 0;
  const next = () => tokens[at++] ?? '';
  const expect = (token: string) => {
    if (next() !== token) throw new LogsError('MalformedQueryException', `expected ${token} in: ${text}`);
  };
  const string = (token: string): string => {
    if (!token.startsWith('"'))
      throw new LogsError('MalformedQueryException', `expected a string, got ${token}`);
    return JSON.parse(token) as string;
  };
  function factor(): Predicate {
    if (tokens[at] === '(') {
      next();
      const inner = or();
      expect(')');
      return inner;
    }
    const field = next();
    const operator = next();
    if (operator === '=') {
      const value = string(next());
      return (row) => row[field] === value;
    }
    if (operator === 'in') {
      expect('[');
      const values: string[] = [];
      while (tokens[at] !== ']') {
        values.push(string(next()));
        if (tokens[at] === ',') next();
      }
      expect(']');
      return (row) => row[field] !== undefined && values.includes(row[field]);
    }
    if (operator === 'like') {
      const literal = next();
      if (!literal.startsWith('/')) throw new LogsError('MalformedQueryException', `like needs a /regex/`);
      const regex = new RegExp(literal.slice(1, -1));
      return (row) => row[field] !== undefined && regex.test(row[field]);
    }
    throw new LogsError('MalformedQueryException', `unsupported operator ${operator} in: ${text}`);
  }
  function and(): Predicate {
    const parts = [factor()];
    while (tokens[at] === 'and') {
      next();
      parts.push(factor());
    }
    return (row) => parts.every((p) => p(row));
  }
  function or(): Predicate {
    const parts = [and()];
    while (tokens[at] === 'or') {
      next();
      parts.push(and());
    }
    return (row) => parts.some((p) => p(row));
  }
  const predicate = or();
  if (at !== tokens.length)
    throw new LogsError('MalformedQueryException', `unexpected ${tokens[at]} in: ${text}`);
  return predicate;
}

function runQuery(query: StartedQuery, events: FakeLogEvent[]): Row[] {
  let rows: Row[] = events
    .filter(
      (e) =>
        query.logGroupNames.includes(e.group) &&
        e.timestamp >= query.startTime * 1000 &&
        e.timestamp <= query.endTime * 1000,
    )
    .map((e) => {
      const parsed = JSON.parse(e.message) as Record<string, unknown>;
      const fields = Object.fromEntries(
        Object.entries(parsed).flatMap(([k, v]) =>
          typeof v === 'object' && v !== null ? [] : [[k, String(v)]],
        ),
      );
      return {
        ...fields,
        '@timestamp': insightsTime(e.timestamp),
        '@log': `000000000000:${e.group}`,
        '@message': e.message,
      };
    });
  let shown: string[] | undefined;
  for (const command of query.queryString.split('|').map((c) => c.trim())) {
    let match: RegExpExecArray | null;
    if ((match = /^fields (.+)$/s.exec(command))) {
      shown = match[1]?.split(',').map((f) => f.trim());
    } else if ((match = /^filter (.+)$/s.exec(command))) {
      rows = rows.filter(parseFilter(match[1] ?? ''));
    } else if ((match = /^stats count\(\*\) as (\w+) by ([@\w.]+)$/.exec(command))) {
      const [, name = '', by = ''] = match;
      const counts = new Map<string, number>();
      for (const row of rows) if (row[by] !== undefined) counts.set(row[by], (counts.get(row[by]) ?? 0) + 1);
      rows = [...counts].map(([value, count]) => ({ [by]: value, [name]: String(count) }));
      shown = [by, name];
    } else if (command === 'sort @timestamp asc') {
      rows.sort((a, b) => (a['@timestamp'] ?? '').localeCompare(b['@timestamp'] ?? ''));
    } else if ((match = /^limit (\d+)$/.exec(command))) {
      rows = rows.slice(0, Number(match[1]));
    } else {
      throw new LogsError('MalformedQueryException', `unsupported command: ${command}`);
    }
  }
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).filter(([field]) => !shown || shown.includes(field))),
  );
}

export async function startFakeCloudWatchLogs(): Promise<FakeCloudWatchLogs> {
  const events: FakeLogEvent[] = [];
  const groups = new Set<string>();
  const queries: StartedQuery[] = [];
  const polls = new Map<string, { query: StartedQuery; polled: number }>();

  function act(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case 'DescribeLogGroups': {
        const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
        return {
          logGroups: [...groups]
            .filter((g) => g.startsWith(prefix))
            .sort()
            .map((logGroupName) => ({ logGroupName })),
        };
      }
      case 'StartQuery': {
        const query: StartedQuery = {
          logGroupNames: (input.logGroupNames as string[] | undefined) ?? [],
          startTime: Number(input.startTime),
          endTime: Number(input.endTime),
          queryString: String(input.queryString ?? ''),
        };
        const missing = query.logGroupNames.find((g) => !groups.has(g));
        if (missing)
          throw new LogsError('ResourceNotFoundException', `Log group '${missing}' does not exist`);
        queries.push(query);
        const queryId = crypto.randomUUID();
        polls.set(queryId, { query, polled: 0 });
        return { queryId };
      }
      case 'GetQueryResults': {
        const started = polls.get(String(input.queryId));
        if (!started) throw new LogsError('ResourceNotFoundException', 'Query does not exist');
        started.polled += 1;
        if (started.polled === 1) return { status: 'Running', results: [] };
        const rows = runQuery(started.query, events);
        return {
          status: 'Complete',
          results: rows.map((row) => Object.entries(row).map(([field, value]) => ({ field, value }))),
          statistics: { recordsMatched: rows.length, recordsScanned: events.length, bytesScanned: 0 },
        };
      }
      default:
        throw new LogsError('UnknownOperationException', `Unsupported operation ${action}`);
    }
  }

  function send(res: ServerResponse, status: number, body: unknown, errorType?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers).end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      send(res, 200, act(target.replace(/^Logs_20140328\./, ''), input));
    } catch (error) {
      const type = error instanceof LogsError ? error.type : 'ServiceUnavailableException';
      send(res, 400, { __type: type, message: error instanceof Error ? error.message : String(error) }, type);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new CloudWatchLogsClient(loopbackClientConfig(endpoint));
  return {
    endpoint,
    client,
    log(group, timestamp, fields) {
      groups.add(group);
      events.push({ group, timestamp, message: JSON.stringify(fields) });
    },
    createLogGroup: (group) => groups.add(group),
    queries,
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
