import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadConfig } from '#lib/config.ts';
import type { DirectDispatch } from '#lib/dispatch/direct.ts';
import type { Dispatch, ParkedEvent } from '#lib/dispatch/types.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import { type Sandbox, startSandbox } from '#lib/sandbox/index.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import type { CallRecord } from '#lib/wolkvox/client.ts';
import {
  createRuntime,
  paymentReceivedHandler,
  type RuntimeOverrides,
  ticketResolvedHandler,
} from '#lib/wiring.ts';
import { localAttachmentDispatcher } from './attachments.ts';
import {
  type ProviderApis,
  sampleEpaycoTransactions,
  sampleMercadoPagoPayments,
  sampleWompiTransactions,
  startProviderApis,
} from './provider-apis.ts';
import { LOCAL_OPERATION, LOCAL_SETTINGS, localEnvironment } from './defaults.ts';
import type { QueueMode } from './queue-mode.ts';

export type Ingress = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalRuntime {
  handlers: { paymentReceived: Ingress; ticketResolved: Ingress };
  /** The in-process sandbox, unless WOLKVOX_SERVER pointed elsewhere. */
  sandbox: Sandbox | undefined;
  /** Loopback fakes of the providers' APIs, for each provider whose API URL is not set. */
  providerApis: ProviderApis;
  wolkvoxServer: string;
  /** The wolkvox operation (tenant) written to. */
  wolkvoxOperation: string;
  parked(): readonly ParkedEvent[];
  /** wolkvox calls made since the last call of this function. */
  takeCalls(): CallRecord[];
  close(): Promise<void>;
}

export interface LocalOptions {
  env?: NodeJS.ProcessEnv;
  /** Start a sandbox even when WOLKVOX_SERVER is set (the demo always uses a fresh one). */
  freshSandbox?: boolean;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  onPark?: (event: ParkedEvent) => void;
  /** Every wolkvox call, as it ends (the console records them against the delivery in flight). */
  onCall?: (call: CallRecord) => void;
  /** Every command ingress hands to dispatch: the verified event, normalized. */
  onSubmit?: (command: WolkvoxCommand, meta: { provider: string; eventId: string }) => void;
  /** `npm start -- --queue`: ingress enqueues, and the worker drains the queue (queue-mode.ts). */
  queue?: QueueMode;
}

/**
 * The real handlers wired for a developer's machine: direct dispatch, secrets from the built-in
 * local values, .env and the environment, and the wolkvox sandbox unless WOLKVOX_SERVER is set.
 * Verification stays on: local tools sign their events (lib/local/sign.ts).
 */
export async function startLocal(options: LocalOptions = {}): Promise<LocalRuntime> {
  const env: Record<string, string> = {
    ...LOCAL_SETTINGS,
    ...(await localEnvironment(options.env ?? process.env)),
  };
  const external = options.freshSandbox ? undefined : env.WOLKVOX_SERVER;
  const sandbox = external
    ? undefined
    : await startSandbox({ operation: LOCAL_OPERATION, tokens: [env.WOLKVOX_TOKEN ?? ''] });
  const wolkvoxServer = external ?? sandbox?.url ?? '';
  // The fakes know the samples' payments. A developer with a real sandbox account of a provider sets
  // its API URL (and keys): that one is left alone.
  const providerApis = await startProviderApis({
    wompiPrivateKey: env.WOMPI_PRIVATE_KEY,
    wompiTransactions: await sampleWompiTransactions(),
    mercadopagoAccessToken: env.MERCADOPAGO_ACCESS_TOKEN,
    mercadopagoPayments: await sampleMercadoPagoPayments(),
    epaycoTransactions: await sampleEpaycoTransactions(),
    paypalClient:
      env.PAYPAL_CLIENT_ID && env.PAYPAL_CLIENT_SECRET
        ? { id: env.PAYPAL_CLIENT_ID, secret: env.PAYPAL_CLIENT_SECRET }
        : undefined,
    hubspotAccessToken: env.HUBSPOT_ACCESS_TOKEN,
  });
  const fakes = Object.fromEntries(Object.entries(providerApis.env).filter(([name]) => !env[name]));
  const config = loadConfig({
    ...env,
    ...fakes,
    WOLKVOX_SERVER: wolkvoxServer,
    WOLKVOX_OPERATION: external ? env.WOLKVOX_OPERATION : LOCAL_OPERATION,
    DISPATCH: 'direct',
    SECRET_ID: '',
    AWS_LAMBDA_FUNCTION_NAME: '',
    ...options.queue?.env,
  });
  const calls: CallRecord[] = [];
  const overrides: RuntimeOverrides = {
    secrets: createEnvStore({ env }),
    logLevel: options.logLevel ?? 'WARN',
    onCall: (call) => {
      calls.push(call);
      options.onCall?.(call);
    },
    onPark: options.onPark,
    // Sample tickets carry real-looking helpdesk URLs; serve their files from events/attachments/.
    attachmentDispatcher: external ? undefined : localAttachmentDispatcher(),
  };
  const runtime = createRuntime(config, { ...overrides, ...options.queue?.ingressOverrides });
  options.queue?.drain((worker) => createRuntime(config, { ...overrides, ...worker }));
  const { onSubmit } = options;
  const observed: Dispatch = onSubmit
    ? {
        ...runtime.dispatch,
        submit: (command, meta, signal) => {
          onSubmit(command, meta);
          return runtime.dispatch.submit(command, meta, signal);
        },
      }
    : runtime.dispatch;
  const ingress = { ...runtime, dispatch: observed };
  return {
    handlers: {
      paymentReceived: paymentReceivedHandler(ingress) as Ingress,
      ticketResolved: ticketResolvedHandler(ingress) as Ingress,
    },
    sandbox,
    providerApis,
    wolkvoxServer,
    wolkvoxOperation: config.wolkvox.operation,
    parked: () => (runtime.dispatch.mode === 'direct' ? (runtime.dispatch as DirectDispatch).parked() : []),
    takeCalls: () => calls.splice(0),
    close: async () => {
      // The worker first: its last calls still reach the sandbox.
      await options.queue?.close();
      await sandbox?.close();
      await providerApis?.close();
    },
  };
}

/** A Lambda context for local invocations, with a deadline like the deployed function's. */
export function localContext(functionName: string, timeoutMs = 10_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
