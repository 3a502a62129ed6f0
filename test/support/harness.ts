import { afterAll, afterEach, beforeAll } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import {
  type ProviderApis,
  sampleEpaycoTransactions,
  sampleMercadoPagoPayments,
  sampleWompiTransactions,
  startProviderApis,
} from '#lib/local/provider-apis.ts';
import { type Sandbox, startSandbox } from '#lib/sandbox/index.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { type LocalSqs, startLocalSqs } from '#lib/local/sqs.ts';

export interface Harness {
  sandbox: Sandbox;
  sqs: LocalSqs;
  /** Loopback fakes of the providers' APIs, knowing the samples' transactions: spread `.env` into the config. */
  providerApis: ProviderApis;
}

/**
 * A wolkvox sandbox, a fake SQS and fakes of the providers' APIs for the whole file, reset after
 * each test and closed at the end.
 */
export function useSandboxAndSqs(): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.sandbox = await startSandbox({ tokens: [LOCAL_SECRETS.WOLKVOX_TOKEN] });
    harness.sqs = await startLocalSqs();
    harness.providerApis = await startLocalProviderApis();
  });
  afterAll(async () => {
    await harness.sandbox.close();
    await harness.sqs.close();
    await harness.providerApis.close();
  });
  afterEach(() => {
    harness.sandbox.reset();
    harness.sqs.sent.length = 0;
  });
  return harness;
}

/** The local secrets, without reading any .env file. */
export const localSecretStore = () => createEnvStore({ env: { ...LOCAL_SECRETS }, cwd: '/nonexistent' });

/** Fakes of the providers' APIs as local runs have them: the samples' transactions, the local keys. */
export async function startLocalProviderApis(): Promise<ProviderApis> {
  return startProviderApis({
    wompiPrivateKey: LOCAL_SECRETS.WOMPI_PRIVATE_KEY,
    wompiTransactions: await sampleWompiTransactions(),
    mercadopagoAccessToken: LOCAL_SECRETS.MERCADOPAGO_ACCESS_TOKEN,
    mercadopagoPayments: await sampleMercadoPagoPayments(),
    epaycoTransactions: await sampleEpaycoTransactions(),
    paypalClient: { id: LOCAL_SECRETS.PAYPAL_CLIENT_ID, secret: LOCAL_SECRETS.PAYPAL_CLIENT_SECRET },
    hubspotAccessToken: LOCAL_SECRETS.HUBSPOT_ACCESS_TOKEN,
  });
}
