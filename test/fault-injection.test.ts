/**
 * Issue 5's proof: ~500 webhook deliveries (Stripe, Wompi, Zendesk; 10% duplicates; out of order
 * within a record) through the real ingress handlers → an SQS FIFO harness (groups, visibility,
 * receive counts, DLQ, retention) → the real worker, 2 invocations at a time, with its intake probe
 * every simulated minute → a sandbox failing 20% of requests (5xx, HTML, resets, timeouts), a token
 * rotation mid-run, a quota exhaustion with its daily reset, and workers killed mid-batch.
 * Everything is applied exactly once; nothing is lost.
 *
 * Issue 13's: the same deliveries arrive during a 48-hour wolkvox outage (timeouts, then resets,
 * then nginx 502 pages), the token is rotated while it is down, and the drain after it spends the
 * daily quota for 6 hours: nothing lost, doubled, parked or dead-lettered, and no message near
 * maxReceiveCount — the worker paused its intake instead of spending receives.
 */
import type { APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { deduplicationId, messageGroupId, queuedMessageSchema } from '#lib/dispatch/message.ts';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { Dispatch, ParkedEvent } from '#lib/dispatch/types.ts';
import { createDynamoLedger } from '#lib/ledger/dynamodb.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { startProviderApis, type WompiTransaction } from '#lib/local/provider-apis.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { seededRandom } from '#lib/sandbox/faults.ts';
import { type Sandbox, SEED_CASE_IDS, startSandbox } from '#lib/sandbox/index.ts';
import type { Secrets, SecretStore } from '#lib/secrets/index.ts';
import { calendarDate } from '#lib/translate/obligation.ts';
import {
  createRuntime,
  intakeProbeHandler,
  paymentReceivedHandler,
  ticketResolvedHandler,
  wolkvoxSyncHandler,
} from '#lib/wiring.ts';
import { memoryIntake } from '#lib/worker/intake.ts';
import { startDynalite } from '#lib/local/dynalite.ts';
import { FifoQueue } from './support/fifo-harness.ts';

// serverless.yml's maxReceiveCount: FIFO batches fail the rest of a failed group, and each of those
// unattempted messages still counts a receive, so 5 sends innocent messages to the DLQ under faults.
const MAX_RECEIVE_COUNT = 20;
const START = Date.parse('2026-11-23T15:00:00Z'); // 10:00 in Bogotá

/** Secrets as Secrets Manager serves them: cached until refresh(), so a rotation needs the refresh path. */
function rotatingSecrets(values: Record<string, string>): SecretStore {
  let cached: Secrets = { ...values };
  return {
    kind: 'secrets-manager',
    get: async () => cached,
    refresh: async () => {
      cached = { ...values };
      return cached;
    },
  };
}

interface Delivery {
  provider: 'stripe' | 'wompi' | 'zendesk';
  body: string;
  record: string;
}

interface Truth {
  payments: Map<string, { obligation: string; wolkvoxId: string; minor: number; paidAt: string }>;
  resolutions: Map<string, { caseId: string; resolvedAt: string; solution: string }>;
}

function generate(
  random: () => number,
  sandbox: Sandbox,
  base = START,
): { deliveries: Delivery[]; truth: Truth } {
  const obligations = sandbox
    .state()
    .records.flatMap((r) => r.obligations.map((o) => ({ wolkvoxId: r.wolkvox_id, id: o.id })));
  const cases = [
    SEED_CASE_IDS.pazYSalvo,
    SEED_CASE_IDS.cobroDoble,
    SEED_CASE_IDS.reporteCentrales,
    SEED_CASE_IDS.acuerdoPago,
  ];
  const truth: Truth = { payments: new Map(), resolutions: new Map() };
  const distinct: Delivery[] = [];
  for (let i = 0; i < 350; i++) {
    const target = obligations[Math.floor(random() * obligations.length)] ?? obligations[0];
    if (!target) throw new Error('no seeded obligations');
    const pesos = 1_000 + Math.floor(random() * 4_000);
    const paidAt = new Date(base - 86_400_000 + Math.floor(random() * 80_000_000)).toISOString();
    const provider = i % 2 === 0 ? 'stripe' : 'wompi';
    const paymentId = provider === 'stripe' ? `pi_fi${i}` : `${1000 + i}-1763900000-${i}`;
    truth.payments.set(`${provider}:${paymentId}`, {
      obligation: target.id,
      wolkvoxId: target.wolkvoxId,
      minor: pesos * 100,
      paidAt,
    });
    const body =
      provider === 'stripe'
        ? stripeBody(i, paymentId, pesos * 100, paidAt, target)
        : wompiBody(paymentId, pesos * 100, paidAt, target);
    distinct.push({ provider, body, record: `${target.wolkvoxId}:${target.id}` });
  }
  for (let i = 0; i < 100; i++) {
    const caseId = cases[i % cases.length] ?? SEED_CASE_IDS.pazYSalvo;
    const minute = new Date(base - 3_600_000 * 20 + i * 60_000 * 7).toISOString().slice(0, 16);
    const solution = `Solución ${i} — "resuelto"`;
    truth.resolutions.set(`zendesk:${9000 + (i % cases.length)}:${minute}:00.000Z`, {
      caseId,
      resolvedAt: `${minute}:00.000Z`,
      solution,
    });
    distinct.push({
      provider: 'zendesk',
      body: zendeskBody(9000 + (i % cases.length), caseId, `${minute}Z`, solution),
      record: caseId,
    });
  }
  // Out of order: shuffled, so each record sees its events in a random order.
  const deliveries = shuffle(distinct, random);
  // 10% duplicate deliveries (a provider retrying, or Stripe sending one payment twice).
  for (let i = 0; i < 50; i++) {
    const original = distinct[Math.floor(random() * distinct.length)];
    if (original)
      deliveries.splice(Math.floor(random() * deliveries.length), 0, {
        ...original,
        body: redeliver(original, i),
      });
  }
  return { deliveries, truth };
}

function stripeBody(
  i: number,
  pi: string,
  minor: number,
  paidAt: string,
  target: { wolkvoxId: string; id: string },
) {
  return JSON.stringify({
    id: `evt_fi${i}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: Math.floor(Date.parse(paidAt) / 1000),
    livemode: false,
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: pi,
        object: 'payment_intent',
        amount_received: minor,
        currency: 'cop',
        metadata: { wolkvox_id: target.wolkvoxId, wolkvox_obligation: target.id },
      },
    },
  });
}

function wompiBody(id: string, minor: number, paidAt: string, target: { wolkvoxId: string; id: string }) {
  return JSON.stringify({
    event: 'transaction.updated',
    data: {
      transaction: {
        id,
        status: 'APPROVED',
        amount_in_cents: minor,
        currency: 'COP',
        reference: `${target.wolkvoxId}:${target.id}`,
        finalized_at: paidAt,
      },
    },
    environment: 'test',
    signature: {
      properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'],
      checksum: '',
    },
    timestamp: 0,
    sent_at: paidAt,
  });
}

function zendeskBody(ticket: number, caseId: string, updatedAt: string, solution: string) {
  return JSON.stringify({
    schema_version: '1',
    ticket_id: String(ticket),
    status: 'Solved',
    updated_at: updatedAt,
    priority: 'High',
    assignee_email: 'laura.gomez@acme-cobranzas.com',
    wolkvox_id: caseId,
    solution: solution.replace(/"/g, '&quot;'),
    attachments: [],
  });
}

/** The same event delivered again: Stripe may wrap the same PaymentIntent in a new event id. */
function redeliver(delivery: Delivery, n: number): string {
  return delivery.provider === 'stripe'
    ? delivery.body.replace(/"evt_fi\d+"/, `"evt_dup${n}"`)
    : delivery.body;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Every distinct payment counted once in its obligation's balance and the newest one in last_pay;
 * each case in its newest resolution. Parks are allowed only for payments whose earlier write may
 * have landed before the obligation changed again: each counts once or not at all.
 */
function expectExactlyOnce(
  before: ReturnType<Sandbox['state']>,
  after: ReturnType<Sandbox['state']>,
  truth: Truth,
  parked: ParkedEvent[],
  lines: string[],
) {
  // Only one kind of park is acceptable here: a payment whose write may or may not have landed
  // before the obligation changed again. Each such payment must count once or not at all.
  const unknown = new Set<string>();
  for (const event of parked) {
    expect(event.reason, 'only unknowable outcomes are parked').toMatch(/may have applied this payment/);
    expect(event.command?.kind).toBe('applyPayment');
    if (event.command) unknown.add(event.command.identity);
  }
  // Quiet runs park 0 or 1. On a loaded CI machine (every test file at once on 2 vCPUs) the real-time
  // budgets here — a killed invocation's last second, the 400 ms request timeout — run out on
  // requests answered normally, and more outcomes turn unknown: 8, 11 and 6 parks have been seen.
  // What this bound catches is parking becoming the rule (known outcomes parked, or every unknown
  // one): tens of the 350 deliveries. Each park's correctness is checked below either way.
  expect(unknown.size, 'parking stays the exception').toBeLessThanOrEqual(15);
  for (const record of before.records) {
    for (const obligation of record.obligations) {
      const mine = [...truth.payments.entries()].filter(
        ([, p]) => p.wolkvoxId === record.wolkvox_id && p.obligation === obligation.id,
      );
      if (mine.length === 0) continue;
      const final = after.records
        .find((r) => r.wolkvox_id === record.wolkvox_id)
        ?.obligations.find((o) => o.id === obligation.id);
      const certain = mine.filter(([identity]) => !unknown.has(identity)).map(([, p]) => p);
      const maybe = mine.filter(([identity]) => unknown.has(identity)).map(([, p]) => p);
      // Some subset of the unknown ones landed, each at most once: find the one the balance shows.
      const subsets = Array.from({ length: 2 ** maybe.length }, (_, mask) =>
        maybe.filter((_, i) => mask & (2 ** i)),
      );
      const landed = subsets.find((subset) => {
        const paid = [...certain, ...subset].reduce((sum, p) => sum + p.minor, 0);
        return (
          Number(final?.total_balance) * 100 === Math.max(0, Number(obligation.total_balance) * 100 - paid)
        );
      });
      if (!landed) {
        const paid = certain.reduce((sum, p) => sum + p.minor, 0);
        const diff = Number(obligation.total_balance) * 100 - paid - Number(final?.total_balance) * 100;
        const suspects = mine.filter(([, p]) => Math.abs(p.minor) === Math.abs(diff)).map(([id]) => id);
        const trail = suspects.flatMap((id) =>
          lines
            .filter((l) => l.includes(id))
            .map((l) =>
              l.replace(/"(?:timestamp|service|sampling_rate|provider)":(?:"[^"]*"|\d+),/g, '').slice(0, 230),
            ),
        );
        throw new Error(
          `${obligation.id}: off by ${diff / 100} (positive = charged twice); suspects ${suspects.join(', ')}\n${trail.join('')}`,
        );
      }
      const applied = [...certain, ...(landed ?? [])];
      const newest = applied.reduce((a, b) => (a.paidAt > b.paidAt ? a : b));
      expect(final?.last_pay, `${obligation.id}: last_pay of the newest payment`).toBe(
        String(newest.minor / 100),
      );
      expect(final?.last_pay_date).toBe(
        calendarDate(new Date(newest.paidAt), { timeZone: 'America/Bogota', dateFormat: 'DD-MM-YYYY' }),
      );
    }
  }
  for (const caseId of new Set([...truth.resolutions.values()].map((r) => r.caseId))) {
    const newest = [...truth.resolutions.values()]
      .filter((r) => r.caseId === caseId)
      .reduce((a, b) => (a.resolvedAt > b.resolvedAt ? a : b));
    const final = after.cases.find((c) => c.wolkvox_id === caseId);
    expect(final?.status).toBe('Resuelto');
    expect(final?.solution.replace(/\r\n/g, '\n'), `${caseId}: the newest resolution wins`).toBe(
      newest.solution,
    );
  }
}

function invoke(
  container: ((event: { Records: SQSRecord[] }, context: Context) => Promise<SQSBatchResponse>) | undefined,
  Records: SQSRecord[],
  context: Context,
): Promise<SQSBatchResponse> {
  if (!container) throw new Error('no container for this slot');
  return container({ Records }, context);
}

function redrive(body: string, queue: FifoQueue) {
  const message = queuedMessageSchema.parse(JSON.parse(body));
  queue.send(
    body,
    messageGroupId(message.command),
    deduplicationId(`${message.command.identity}:redrive:${Math.random()}`),
  );
}

async function deliver(
  delivery: Delivery,
  at: Date,
  ingress: {
    payments: (e: never, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    tickets: (e: never, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  },
) {
  if (delivery.provider === 'zendesk') {
    const signed = signSample('zendesk', delivery.body, LOCAL_SECRETS, at);
    const event = apiGatewayEvent({
      family: 'tickets',
      provider: 'zendesk',
      body: signed.body,
      headers: signed.headers,
    });
    return ingress.tickets(event as never, localContext('ticketResolved'));
  }
  const signed = signSample(delivery.provider, delivery.body, LOCAL_SECRETS, at);
  const event = apiGatewayEvent({
    family: 'payments',
    provider: delivery.provider,
    body: signed.body,
    headers: signed.headers,
  });
  return ingress.payments(event as never, localContext('paymentReceived'));
}

interface WorldOptions {
  seed: number;
  ledgerKind: 'memory' | 'dynamodb';
  start: number;
  dailyQuota: number;
}

/**
 * The deployed path on a virtual clock: ingress handlers, the FIFO harness, two worker containers
 * (and two that die mid-batch), the intake probe, a sandbox and the fake Wompi API.
 */
async function createWorld(options: WorldOptions) {
  let clock = options.start;
  const now = () => new Date(clock);
  const sandbox = await startSandbox({
    tokens: ['token-before-rotation'],
    dailyQuota: options.dailyQuota,
    now,
    seed: options.seed,
  });
  const cleanups: Array<() => Promise<void>> = [() => sandbox.close()];
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
  }
  try {
    const secretValues: Record<string, string> = { ...LOCAL_SECRETS, WOLKVOX_TOKEN: 'token-before-rotation' };
    // Wompi's API confirms each Wompi payment (reference, currency, time): it knows every one generated.
    const providerApis = await startProviderApis({ wompiPrivateKey: LOCAL_SECRETS.WOMPI_PRIVATE_KEY });
    cleanups.push(() => providerApis.close());
    const config = loadConfig({
      ...providerApis.env,
      WOLKVOX_SERVER: sandbox.url,
      WOLKVOX_OPERATION: 'demo',
      DISPATCH: 'queue',
      QUEUE_URL: 'harness://work',
      PARKED_QUEUE_URL: 'harness://parked',
      LEDGER_TABLE: 'harness',
      // The sandbox's timeout faults hold a request until the client gives up: short, to keep the
      // run short, but not so short that a request answered normally on a busy CI machine (every
      // test file at once on 2 vCPUs) outlives it. At 100 ms a stall did, once: a burst of
      // outcomes that look unknown, and 8 parks where quiet runs have 0 or 1.
      WOLKVOX_TIMEOUT_MS: '400',
      LOG_LEVEL: 'DEBUG',
    });
    const queue = new FifoQueue(() => clock, { visibilityMs: 360_000, maxReceiveCount: MAX_RECEIVE_COUNT });
    const parked: ParkedEvent[] = [];
    const harnessDispatch: Dispatch = {
      mode: 'queue',
      async submit(command, meta) {
        const body = JSON.stringify({ command, meta: { ...meta, receivedAt: now().toISOString() } });
        queue.send(body, messageGroupId(command), deduplicationId(command.identity));
        return { status: 'queued', messageId: '' };
      },
      async park(event) {
        parked.push(event);
      },
    };
    // One seed runs the DynamoDB ledger against dynalite on loopback: the deployed code path.
    const dynalite = options.ledgerKind === 'dynamodb' ? await startDynalite() : undefined;
    if (dynalite) await dynalite.createTable('ledger');
    const ledger = dynalite
      ? createDynamoLedger({ tableName: 'ledger', client: dynalite.client, now: () => clock })
      : createMemoryLedger({ now: () => clock });
    cleanups.push(async () => dynalite?.close());
    // The worker's event source: paused, the harness receives nothing for it (as Lambda polls nothing).
    const intake = memoryIntake(now);
    const runtime = {
      ...createRuntime(config, { secrets: rotatingSecrets(secretValues), ledger, now, intake }),
      dispatch: harnessDispatch,
    };
    const ingress = { payments: paymentReceivedHandler(runtime), tickets: ticketResolvedHandler(runtime) };
    // Two containers (maximumConcurrency 2): each runs one invocation at a time, as Lambda does.
    const containers = [0, 1].map(() => wolkvoxSyncHandler({ ...runtime, sqs: sqsOnDemand(queue.client()) }));
    // A Lambda that timed out runs nothing more: its messages keep the queue's visibility timeout.
    const dying = [0, 1].map(() =>
      wolkvoxSyncHandler({ ...runtime, sqs: sqsOnDemand({ send: async () => undefined } as never) }),
    );
    const probe = intakeProbeHandler(runtime);
    return {
      get clock() {
        return clock;
      },
      set clock(at: number) {
        clock = at;
      },
      now,
      sandbox,
      providerApis,
      queue,
      parked,
      lines,
      intake,
      secretValues,
      deliver: (delivery: Delivery) => deliver(delivery, now(), ingress),
      containers,
      dying,
      // The schedule's tick runs in wolkvoxSync itself: its budget is the worker's 60 s timeout.
      probe: () => probe(localContext('wolkvoxSync', 60_000)),
      async close() {
        vi.restoreAllMocks();
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      },
    };
  } catch (error) {
    vi.restoreAllMocks();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    throw error;
  }
}
type World = Awaited<ReturnType<typeof createWorld>>;

interface DrainOptions {
  random: () => number;
  /** Things that happen at a time: deliveries arriving, wolkvox going down or coming back. */
  timeline?: Array<{ at: number; run: () => Promise<void> | void }>;
  /** Some invocations run out of time mid-batch (5%). */
  kills?: boolean;
  /** Put dead letters back on the queue, as an operator would with SQS's DLQ redrive. */
  redriveDeadLetters?: boolean;
  /** Called before each invocation round, with its number. */
  onInvocation?: (n: number) => void;
}

/**
 * Runs the world until the timeline is done and the queue is empty: at most 2 concurrent worker
 * invocations while the intake runs, the probe every minute, the clock jumping to the next thing
 * that can happen when nothing can now.
 */
async function drain(w: World, options: DrainOptions): Promise<void> {
  const timeline = [...(options.timeline ?? [])].sort((a, b) => a.at - b.at);
  let nextProbe = w.clock + 60_000;
  let invocations = 0;
  for (let rounds = 0; rounds < 200_000; rounds++) {
    for (let event = timeline[0]; event && event.at <= w.clock; event = timeline[0]) {
      timeline.shift();
      await event.run();
    }
    if (w.clock >= nextProbe) {
      await w.probe();
      nextProbe = w.clock + 60_000;
    }
    const paused = w.intake.state !== undefined;
    const batches = paused ? [] : [w.queue.receive(10), w.queue.receive(10)].filter((b) => b.length > 0);
    if (batches.length === 0) {
      if (options.redriveDeadLetters) {
        for (const dead of w.queue.deadLetters.splice(0)) redrive(dead.body, w.queue);
      }
      if (timeline.length === 0 && w.queue.pending === 0) return;
      const next = [timeline[0]?.at, nextProbe, paused ? undefined : w.queue.nextVisibleAt()].filter(
        (at): at is number => at !== undefined,
      );
      w.clock = Math.max(w.clock + 1_000, Math.min(...next));
      continue;
    }
    options.onInvocation?.(++invocations);
    await Promise.all(
      batches.map(async (Records, slot) => {
        const killed = !!options.kills && options.random() < 0.05;
        // A killed invocation runs out of time mid-batch; nothing of its outcome reaches SQS.
        const context: Context = {
          ...localContext('wolkvoxSync'),
          functionName: 'wolkvoxSync',
          getRemainingTimeInMillis: () => (killed ? 1_000 + Math.floor(options.random() * 20) : 60_000),
        };
        const result = await invoke((killed ? w.dying : w.containers)[slot], Records, context);
        if (killed) return;
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        for (const record of Records) if (!failed.has(record.messageId)) w.queue.delete(record.receiptHandle);
      }),
    );
    w.clock += 1_000;
  }
  const retries = w.lines.filter((l) => l.includes('will retry') || l.includes('parked')).slice(-8);
  throw new Error(
    `queue not drained (${w.queue.pending} left, clock ${w.now().toISOString()}):\n${retries.join('')}`,
  );
}

function expectNoSecretLogged(lines: string[]) {
  const log = lines.join('');
  for (const secret of [...Object.values(LOCAL_SECRETS), 'token-before-rotation', 'token-after-rotation']) {
    expect(log.includes(secret), 'no secret in any log line').toBe(false);
  }
}

function rotateToken(w: World) {
  w.sandbox.setTokens(['token-after-rotation']);
  w.secretValues.WOLKVOX_TOKEN = 'token-after-rotation';
}

function putWompiTransactions(w: World, deliveries: Delivery[]) {
  for (const delivery of deliveries.filter((d) => d.provider === 'wompi')) {
    w.providerApis.wompi.put(
      (JSON.parse(delivery.body) as { data: { transaction: WompiTransaction } }).data.transaction,
    );
  }
}

async function initialState() {
  const initial = await startSandbox();
  const before = initial.state();
  await initial.close();
  return before;
}

const ANSWERED = 'answered 2xx';
const acceptedFrom = (answer: APIGatewayProxyStructuredResultV2) =>
  (answer.statusCode ?? 500) < 300 ? ANSWERED : `${answer.statusCode}: ${String(answer.body)}`;

/** Four seeds on the memory ledger, one on DynamoDB (dynalite): the deployed code path. */
const SEEDS = [
  [1, 'memory'],
  [2, 'memory'],
  [3, 'memory'],
  [4, 'memory'],
  [5, 'dynamodb'],
] as const;

describe('delivery guarantees under injected faults', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(SEEDS)(
    'seed %i (%s ledger): every event applied exactly once, newest state wins, nothing lost',
    async (seed, ledgerKind) => {
      const before = await initialState();
      // The sandbox's own seeded PRNG: a failing seed replays.
      const random = seededRandom(seed);
      const w = await createWorld({ seed, ledgerKind, start: START, dailyQuota: 120 });
      try {
        // 1. Ingress: every delivery signed at delivery time, answered 2xx.
        const { deliveries, truth } = generate(random, w.sandbox);
        putWompiTransactions(w, deliveries);
        for (const delivery of deliveries) {
          expect(acceptedFrom(await w.deliver(delivery))).toBe(ANSWERED);
          w.clock += Math.floor(random() * 2_000);
        }
        w.sandbox.setFaults({ errorRate: 0.08, htmlErrorRate: 0.05, resetRate: 0.05, timeoutRate: 0.02 });

        // 2. Drain with at most 2 concurrent worker invocations; rotate the token and kill workers on the way.
        await drain(w, {
          random,
          kills: true,
          redriveDeadLetters: true,
          onInvocation: (n) => n === 40 && rotateToken(w),
        });

        expectExactlyOnce(before, w.sandbox.state(), truth, w.parked, w.lines);
        const stats = w.sandbox.stats();
        expect(
          Math.max(...Object.values(stats.maxInFlight)),
          'at most 2 requests in flight per token',
        ).toBeLessThanOrEqual(2);
        expect(stats.rejectedSimultaneous).toBe(0);
        const requests = w.sandbox.requests();
        expect(
          requests.some((r) => r.response?.msg === 'TOKEN LIMIT EXCEEDED'),
          'the daily quota ran out mid-run',
        ).toBe(true);
        expect(
          requests.some((r) => r.response?.msg === 'PLEASE VALIDATE TOKEN'),
          'the token was rotated mid-run',
        ).toBe(true);
        // About one request in five fails (the rates above).
        expect(requests.filter((r) => r.fault).length, 'faults were injected').toBeGreaterThan(
          requests.length / 8,
        );
        expectNoSecretLogged(w.lines);
      } finally {
        await w.close();
      }
    },
    120_000,
  );
});

describe('a 48-hour wolkvox outage, a token rotation and a 6-hour quota exhaustion', () => {
  afterEach(() => vi.restoreAllMocks());

  const HOUR = 3_600_000;
  // Friday 18:00 in Bogotá: wolkvox is back Sunday 18:00, and the drain spends the day's quota at once.
  const OUTAGE = Date.parse('2026-11-27T23:00:00Z');
  const BACK = OUTAGE + 48 * HOUR;

  it.each(SEEDS)(
    'seed %i (%s ledger): nothing lost, doubled, parked or dead-lettered; receives stay few',
    async (seed, ledgerKind) => {
      const before = await initialState();
      const random = seededRandom(seed);
      const w = await createWorld({ seed, ledgerKind, start: OUTAGE - 60_000, dailyQuota: 250 });
      try {
        const { deliveries, truth } = generate(random, w.sandbox, OUTAGE);
        putWompiTransactions(w, deliveries);
        const answers: string[] = [];
        // 500 deliveries spread over the outage, each signed when it arrives.
        const arrivals = deliveries.map((delivery, i) => ({
          at: OUTAGE + Math.floor(((i + 0.5) * 48 * HOUR) / deliveries.length),
          run: async () => void answers.push(acceptedFrom(await w.deliver(delivery))),
        }));
        const down = (kind: 'timeout' | 'reset' | 'html502' | false) => () =>
          w.sandbox.setFaults({ down: kind });
        await drain(w, {
          random,
          timeline: [
            ...arrivals,
            // Requests that hang until the client gives up, then connections cut, then the front end's 502s.
            { at: OUTAGE, run: down('timeout') },
            { at: OUTAGE + HOUR / 2, run: down('reset') },
            { at: OUTAGE + 24 * HOUR, run: down('html502') },
            { at: OUTAGE + 30 * HOUR, run: () => rotateToken(w) },
            { at: BACK, run: down(false) },
          ],
        });

        expect(answers.filter((a) => a !== ANSWERED)).toEqual([]);
        expect(answers).toHaveLength(deliveries.length);
        expect(w.queue.deadLetters, 'nothing dead-lettered').toEqual([]);
        expect(w.queue.expired, 'nothing outlived the retention').toEqual([]);
        expect(w.parked, 'nothing parked').toEqual([]);
        expect(w.queue.maxReceiveCount).toBeLessThan(MAX_RECEIVE_COUNT / 2);
        expectExactlyOnce(before, w.sandbox.state(), truth, w.parked, w.lines);

        const log = w.lines.join('');
        expect(log).toContain('wolkvox unreachable: pausing the intake');
        expect(log).toContain('intake resumed');
        const stats = w.sandbox.stats();
        expect(Math.max(...Object.values(stats.maxInFlight))).toBeLessThanOrEqual(2);
        expect(stats.rejectedSimultaneous).toBe(0);
        const requests = w.sandbox.requests();
        expect(requests.some((r) => r.response?.msg === 'PLEASE VALIDATE TOKEN')).toBe(true);
        // The quota ran out soon after wolkvox came back, and the worker held off until the reset.
        const spent = requests.filter((r) => r.response?.msg === 'TOKEN LIMIT EXCEEDED');
        const firstSpent = Date.parse(spent[0]?.at ?? '');
        expect(firstSpent - BACK).toBeLessThan(HOUR);
        const resumed = requests.find((r) => Date.parse(r.at) > firstSpent && r.status === 200);
        expect(Date.parse(resumed?.at ?? '') - firstSpent).toBeGreaterThan(5.5 * HOUR);
        // Only the calls already waiting for a request slot when it ran out (a batch's groups go side by side).
        expect(spent.length, 'the containers stop calling once the quota is spent').toBeLessThan(10);
        // While it was down the worker stopped: a few failed calls, then the probe's one a minute.
        const duringOutage = requests.filter((r) => Date.parse(r.at) >= OUTAGE && Date.parse(r.at) < BACK);
        expect(duringOutage.length).toBeLessThan(48 * 60 + 50);
        expectNoSecretLogged(w.lines);
      } finally {
        await w.close();
      }
    },
    120_000,
  );
});
