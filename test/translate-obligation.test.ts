import { describe, expect, it } from 'vitest';
import type { Payment, PaymentReceived } from '#lib/events.ts';
import {
  applyPayment,
  calendarDate,
  formatMajor,
  type ObligationRules,
  overpaidBy,
  parseMajor,
  paymentCommand,
} from '#lib/translate/obligation.ts';
import type { Obligation } from '#lib/wolkvox/types.ts';

const rules: ObligationRules = {
  timeZone: 'America/Bogota',
  dateFormat: 'DD-MM-YYYY',
  currency: 'COP',
  reduceBalance: true,
  clearDelayWhenPaidOff: true,
  overpayment: 'reduce',
};

const obligation: Obligation = {
  id: 'PAG-1',
  name: 'Pagaré 1',
  total_balance: '1250000',
  portfolio_type: 'Consumo',
  last_pay: '100000',
  last_pay_date: '01-10-2026',
  expiring_date: '25-12-2026',
  days_delay: '18',
  form: [{ name: 'Frecuencia', value: 'Mensual' }],
};

const payment = (minor: number, paidAt = '2026-11-20T15:00:00Z', extra: Partial<Payment> = {}): Payment => ({
  provider: 'wompi',
  paymentId: 'tx-1',
  amount: { minor, currency: 'COP', exponent: 2 },
  paidAt,
  ...extra,
});

describe('money', () => {
  it.each([
    [{ minor: 15000000, currency: 'COP', exponent: 2 }, '150000'],
    [{ minor: 15000050, currency: 'COP', exponent: 2 }, '150000.50'],
    [{ minor: 5, currency: 'USD', exponent: 2 }, '0.05'],
    [{ minor: 0, currency: 'COP', exponent: 2 }, '0'],
    [{ minor: 25000, currency: 'CLP', exponent: 0 }, '25000'],
    [{ minor: 1234567, currency: 'KWD', exponent: 3 }, '1234.567'],
  ])('formatMajor(%j) = %s', (money, text) => {
    expect(formatMajor(money)).toBe(text);
  });

  it.each([
    ['1250000', 2, 125000000],
    ['1250000.5', 2, 125000050],
    ['0.10', 2, 10],
    [' 42 ', 0, 42],
    ['10.00', 0, 1000 / 100],
  ])('parseMajor(%j, %i) = %i', (text, exponent, minor) => {
    expect(parseMajor(text, exponent)).toBe(minor);
  });

  it.each(['1.250.000', '1,250,000', '$100', '-5', '1e6', '', '0.001'])('parseMajor refuses %j', (text) => {
    expect(() => parseMajor(text, 2)).toThrow(RangeError);
  });
});

describe('calendarDate', () => {
  it('is the day in the operation time zone, not the UTC date', () => {
    // 03:00 UTC on the 21st is 22:00 on the 20th in Bogotá (UTC−5).
    expect(calendarDate(new Date('2026-11-21T03:00:00Z'), rules)).toBe('20-11-2026');
    expect(calendarDate(new Date('2026-11-21T05:00:00Z'), rules)).toBe('21-11-2026');
    expect(calendarDate(new Date('2026-11-21T03:00:00Z'), { ...rules, timeZone: 'UTC' })).toBe('21-11-2026');
  });

  it("is Intl's own day for every minute around midnights and DST changes, zones at :30 and :45 included", () => {
    const zones = [
      'America/Bogota',
      'America/Santiago',
      'America/St_Johns',
      'Asia/Kathmandu',
      'Australia/Eucla',
    ];
    // Santiago's DST ends on 2026-04-05 and starts on 2026-09-06; St John's on 2026-03-08 and 2026-11-01.
    const starts = [
      '2026-04-04T00:00:00Z',
      '2026-09-05T00:00:00Z',
      '2026-03-08T00:00:00Z',
      '2026-11-01T00:00:00Z',
    ];
    for (const timeZone of zones) {
      const parts = (instant: Date) => format.formatToParts(instant);
      const format = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
      for (const start of starts) {
        for (let minute = 0; minute < 36 * 60; minute += 7) {
          const instant = new Date(Date.parse(start) + minute * 60_000 + 13_000);
          expect(
            calendarDate(instant, { timeZone, dateFormat: 'YYYY-MM-DD' }),
            `${timeZone} ${instant.toISOString()}`,
          ).toBe(
            ['year', 'month', 'day']
              .map((type) => parts(instant).find((p) => p.type === type)?.value)
              .join('-'),
          );
        }
      }
    }
  });

  it('follows the configured format', () => {
    const instant = new Date('2026-01-31T15:00:00Z');
    expect(calendarDate(instant, rules)).toBe('31-01-2026');
    expect(calendarDate(instant, { ...rules, dateFormat: 'MM-DD-YYYY' })).toBe('01-31-2026');
    expect(calendarDate(instant, { ...rules, dateFormat: 'YYYY-MM-DD' })).toBe('2026-01-31');
  });
});

describe('applyPayment', () => {
  it('sets last_pay, last_pay_date and reduces the balance, keeping every other field', () => {
    const next = applyPayment(obligation, payment(15000000, '2026-11-21T03:30:00Z'), rules);
    expect(next).toEqual({
      ...obligation,
      last_pay: '150000',
      last_pay_date: '20-11-2026',
      total_balance: '1100000',
    });
    expect(next.form).not.toBe(obligation.form);
  });

  it('never takes the balance below zero and clears days_delay when paid off', () => {
    expect(applyPayment(obligation, payment(999999999), rules)).toMatchObject({
      total_balance: '0',
      days_delay: '0',
    });
    expect(applyPayment(obligation, payment(125000000), rules)).toMatchObject({
      total_balance: '0',
      days_delay: '0',
    });
    expect(applyPayment(obligation, payment(100), rules)).toMatchObject({
      total_balance: '1249999',
      days_delay: '18',
    });
  });

  it('keeps cents the balance has', () => {
    expect(applyPayment({ ...obligation, total_balance: '1000.75' }, payment(25), rules).total_balance).toBe(
      '1000.50',
    );
  });

  it("uses the provider's stated balance when there is one", () => {
    const stated = payment(15000000, undefined, {
      balanceAfter: { minor: 50000000, currency: 'COP', exponent: 2 },
    });
    expect(applyPayment(obligation, stated, rules).total_balance).toBe('500000');
    // An older payment arriving late: the balance a newer payment stated already counts it.
    expect(applyPayment(obligation, stated, rules, { newest: false }).total_balance).toBe('1250000');
  });

  it('honours the tenant rules', () => {
    const keep = { ...rules, reduceBalance: false, clearDelayWhenPaidOff: false };
    expect(applyPayment(obligation, payment(125000000), keep)).toMatchObject({
      total_balance: '1250000',
      days_delay: '18',
    });
    const zero = { ...obligation, total_balance: '0' };
    expect(applyPayment(zero, payment(100), { ...rules, clearDelayWhenPaidOff: false }).days_delay).toBe(
      '18',
    );
  });

  it('measures an overpayment: the surplus over the balance, none when paying at most the balance', () => {
    expect(overpaidBy(obligation, payment(130000000), rules)).toEqual({
      minor: 5000000,
      currency: 'COP',
      exponent: 2,
    });
    expect(overpaidBy(obligation, payment(125000000), rules)).toBeUndefined();
    expect(overpaidBy({ ...obligation, total_balance: '' }, payment(1), rules)).toBeUndefined();
    expect(overpaidBy(obligation, payment(130000000), { ...rules, reduceBalance: false })).toBeUndefined();
    const stated = payment(130000000, undefined, {
      balanceAfter: { minor: 0, currency: 'COP', exponent: 2 },
    });
    expect(overpaidBy(obligation, stated, rules)).toBeUndefined();
  });

  it('leaves an empty balance empty, and refuses one it cannot read', () => {
    expect(applyPayment({ ...obligation, total_balance: '' }, payment(100), rules).total_balance).toBe('');
    expect(() => applyPayment({ ...obligation, total_balance: '1.250.000' }, payment(100), rules)).toThrow(
      RangeError,
    );
  });
});

describe('paymentCommand', () => {
  const event = (overrides: Partial<PaymentReceived> = {}): PaymentReceived => ({
    kind: 'payment',
    eventId: 'evt_1',
    eventType: 'payment_intent.succeeded',
    livemode: false,
    payment: { ...payment(100), provider: 'stripe', paymentId: 'pi_1' },
    target: { operation: 'demo', wolkvoxId: 'rec', obligation: 'obl 1' },
    ...overrides,
  });

  it('builds the command with the payment identity', () => {
    expect(paymentCommand(event(), rules)).toEqual({
      command: {
        kind: 'applyPayment',
        identity: 'stripe:pi_1',
        target: { operation: 'demo', wolkvoxId: 'rec', obligation: 'obl 1' },
        payment: event().payment,
      },
    });
  });

  it('ignores a payment of zero (a 100% coupon): nothing to apply, last_pay stays', () => {
    const free = event({
      payment: { ...event().payment, amount: { minor: 0, currency: 'COP', exponent: 2 } },
    });
    expect(paymentCommand(free, rules)).toEqual({ ignore: 'a payment of zero changes no balance' });
    expect(paymentCommand({ ...free, target: null }, rules)).toEqual({
      ignore: 'a payment of zero changes no balance',
    });
  });

  it('parks an event without target, with its reason', () => {
    expect(paymentCommand(event({ target: null, targetProblem: 'no metadata' }), rules)).toEqual({
      park: 'no metadata',
    });
  });

  it('parks a payment in another currency instead of converting it', () => {
    const usd = event({
      payment: { ...event().payment, amount: { minor: 100, currency: 'USD', exponent: 2 } },
    });
    expect(paymentCommand(usd, rules)).toEqual({
      park: "payment currency USD does not match the obligations' COP",
    });
  });
});

describe('applyPayment for a payment older than the newest applied', () => {
  it('still reduces the balance but keeps last_pay and last_pay_date', () => {
    const next = applyPayment(obligation, payment(15000000, '2026-01-01T15:00:00Z'), rules, {
      newest: false,
    });
    expect(next).toMatchObject({ total_balance: '1100000', last_pay: '100000', last_pay_date: '01-10-2026' });
  });
});
