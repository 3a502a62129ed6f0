import type { PaymentReceived } from '#lib/events.ts';
import { ingressHandler } from '#lib/http/ingress.ts';
import { providerLoader } from '#lib/providers/loader.ts';
import { formatMajor, paymentCommand } from '#lib/translate/obligation.ts';
import type { IngressRuntime } from './types.ts';

/** POST /webhooks/payments/{provider}: the payment providers of lib/providers/registry.ts. */
export function paymentReceivedHandler(runtime: IngressRuntime) {
  const { config } = runtime;
  return ingressHandler<PaymentReceived>({
    ...runtime,
    local: !config.inLambda,
    providers: providerLoader('payments', config, runtime.logger),
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
