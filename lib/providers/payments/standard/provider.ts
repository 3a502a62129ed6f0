import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { firstSecret, obligationTarget, parseJson, parseWith } from '../../common.ts';
import { standardTrust, standardWebhookHeaders, verifyWithSecret } from '../../schemes/standard-webhooks.ts';
import type { PaymentProvider, ProviderCode, ProviderContext, RawRequest } from '../../types.ts';
import { minorUnits } from '../money.ts';
import type { StandardSettings } from './settings.ts';

/**
 * The door for any system we have no adapter for (a bank's collection system, an in-house portal,
 * a Svix-based sender): a Standard Webhooks signature over the exact bytes of this envelope —
 *   { "type": "payment.received", "timestamp": "…",
 *     "data": { "payment_id", "amount" (major units, text), "currency", "paid_at",
 *               "wolkvox_id", "obligation", "operation"? } }
 * Every byte is signed, so everything is believed as sent; extra keys are ignored. Other types are
 * answered 200 ignored; the identity is `standard:<payment_id>`.
 */

const nonEmpty = z.string().check(z.minLength(1), z.maxLength(200));

const envelope = z.lazy(() => z.object({ type: nonEmpty, data: z.unknown() }));

const payment = z.lazy(() =>
  z.object({
    payment_id: nonEmpty,
    // Text, never a JSON number: major units with at most two decimals ("150000.00").
    amount: z.string().check(z.regex(/^\d{1,15}(?:\.\d{1,2})?$/, 'a decimal string such as "150000.00"')),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "COP"')),
    paid_at: z.iso.datetime({ offset: true }),
    wolkvox_id: z.optional(z.string()),
    obligation: z.optional(z.string()),
    operation: z.optional(z.string()),
  }),
);

function create(settings: StandardSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'standard',
    trust: standardTrust('STANDARD_PAYMENTS_SECRET'),
    verify(request: RawRequest, context: ProviderContext) {
      const id = verifyWithSecret(request, 'STANDARD_PAYMENTS_SECRET', context);
      return { read: () => read(request, id) };
    },
  };

  function read(request: RawRequest, messageId: string) {
    const body = parseWith(envelope, parseJson(request.body));
    if (body.type !== 'payment.received') {
      return { action: 'ignore' as const, reason: `type ${quoted(body.type, 40)} is not payment.received` };
    }
    const data = parseWith(payment, body.data, 'data');
    // The schema admits only what minorUnits reads.
    const minor = minorUnits(data.amount) ?? 0;
    const received: PaymentReceived = {
      kind: 'payment',
      eventId: messageId,
      eventType: body.type,
      livemode: true,
      payment: {
        provider: 'standard',
        paymentId: data.payment_id,
        amount: { minor, currency: data.currency, exponent: 2 },
        paidAt: new Date(data.paid_at).toISOString(),
      },
      ...obligationTarget(
        { operation: data.operation, wolkvoxId: data.wolkvox_id, obligation: data.obligation },
        settings.operation,
        'data.wolkvox_id and data.obligation are not both set',
      ),
    };
    return { action: 'accept' as const, event: received };
  }
}

const standard: ProviderCode<PaymentReceived, StandardSettings> = {
  create,
  /** The sample's bytes as they are, with a new message id and the signature of `now`. */
  sign(body, secrets, now) {
    return {
      body,
      headers: standardWebhookHeaders(body, firstSecret(secrets, 'STANDARD_PAYMENTS_SECRET'), now),
    };
  },
  userAgent: 'Svix-Webhooks/1.64.1 (sender-Ze2Rb; +https://www.svix.com/http-sender/)',
};

export default standard;
