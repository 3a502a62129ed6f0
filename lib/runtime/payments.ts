import type { PaymentReceived } from '#lib/events.ts';
import { ingressHandler } from '#lib/http/ingress.ts';
import { paymentSources } from '#lib/sources/payments/index.ts';
import { formatMajor, paymentCommand } from '#lib/translate/obligation.ts';
import type { IngressRuntime } from './types.ts';

/** POST /webhooks/payments/{provider}: Stripe, Wompi. */
export function paymentReceivedHandler(runtime: IngressRuntime) {
  const { config } = runtime;
  return ingressHandler<PaymentReceived>({
    ...runtime,
    sources: paymentSources(config),
    translate: (event) => paymentCommand(event, config.obligations),
    describe: (event) => ({
      eventId: event.eventId,
      summary: {
        eventType: event.eventType,
        paymentId: event.payment.paymentId,
        amount: formatMajor(event.payment.amount),
        currency: event.payment.amount.currency,
        paidAt: event.payment.paidAt,
        livemode: event.livemode,
      },
    }),
  });
}
