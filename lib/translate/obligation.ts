import type { ApplyPaymentCommand, Money, Payment, PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { wallClock } from '#lib/time-zone.ts';
import type { Obligation } from '#lib/wolkvox/types.ts';

/** The rules a tenant may want differently; each is a documented setting (README, lib/config.ts). */
export interface ObligationRules {
  /** The operation's calendar: a payment at 03:00 UTC is the previous day in Bogotá. */
  timeZone: string;
  /** How wolkvox reads obligation dates; the docs' only example ("06-06-2023") is ambiguous (A11). */
  dateFormat: 'DD-MM-YYYY' | 'MM-DD-YYYY' | 'YYYY-MM-DD';
  /** The currency obligations are kept in; a payment in another one is parked, never converted. */
  currency: string;
  /** Reduce total_balance by each payment (unless the provider states the balance after it). */
  reduceBalance: boolean;
  /** Set days_delay to 0 once the balance reaches 0. */
  clearDelayWhenPaidOff: boolean;
  /** A payment larger than the balance: `reduce` to 0 and report the surplus, or `park` it for an operator. */
  overpayment: 'reduce' | 'park';
}

export type PaymentTranslation = { command: ApplyPaymentCommand } | { park: string } | { ignore: string };

/** A payment event → the command for the worker, or why it cannot be applied (parked) or changes nothing. */
export function paymentCommand(event: PaymentReceived, rules: ObligationRules): PaymentTranslation {
  // A 100% coupon or a zero-amount check pays nothing: last_pay must not become 0 today.
  if (event.payment.amount.minor === 0) return { ignore: 'a payment of zero changes no balance' };
  if (!event.target) return { park: event.targetProblem ?? 'no wolkvox obligation named' };
  const { currency } = event.payment.amount;
  if (currency !== rules.currency) {
    return { park: `payment currency ${currency} does not match the obligations' ${rules.currency}` };
  }
  return {
    command: {
      kind: 'applyPayment',
      identity: `${event.payment.provider}:${event.payment.paymentId}`,
      target: event.target,
      payment: event.payment,
    },
  };
}

export interface ObligationChange {
  before: Pick<Obligation, 'total_balance' | 'last_pay' | 'last_pay_date' | 'days_delay'>;
  after: Pick<Obligation, 'total_balance' | 'last_pay' | 'last_pay_date' | 'days_delay'>;
}

/**
 * The read-modify-write step: the complete obligation to send back after `payment`; `newest`
 * says whether it is the most recent payment applied to this obligation.
 * Throws a RangeError when the stored balance is not a plain decimal we can subtract from
 * (the worker parks it: a human must look).
 */
export function applyPayment(
  current: Obligation,
  payment: Payment,
  rules: ObligationRules,
  { newest = true }: { newest?: boolean } = {},
): Obligation {
  const next: Obligation = { ...current, form: current.form.map((field) => ({ ...field })) };
  const exponent = payment.amount.exponent;
  // Payments are additive, so an older one arriving late still reduces the balance, but
  // last_pay and last_pay_date keep describing the most recent payment.
  if (newest) {
    next.last_pay = formatMajor(payment.amount);
    next.last_pay_date = calendarDate(new Date(payment.paidAt), rules);
  }

  if (payment.balanceAfter) {
    // A stated balance is the provider's word on the balance after that payment: a newer
    // payment's already counts an older one, which therefore changes nothing.
    if (newest) next.total_balance = formatMajor(payment.balanceAfter);
  } else if (rules.reduceBalance && current.total_balance.trim() !== '') {
    const balance = parseMajor(current.total_balance, exponent);
    const remaining = Math.max(0, balance - payment.amount.minor);
    next.total_balance = formatMajor({ minor: remaining, currency: payment.amount.currency, exponent });
  }
  if (
    rules.clearDelayWhenPaidOff &&
    next.total_balance !== '' &&
    parseMajor(next.total_balance, exponent) === 0
  ) {
    next.days_delay = '0';
  }
  return next;
}

/**
 * How much `payment` exceeds the obligation's current balance, when it does and the balance is
 * being reduced (never when the provider states the balance after, or the balance is blank).
 */
export function overpaidBy(current: Obligation, payment: Payment, rules: ObligationRules): Money | undefined {
  if (payment.balanceAfter || !rules.reduceBalance || current.total_balance.trim() === '') return undefined;
  const { exponent, currency } = payment.amount;
  const surplus = payment.amount.minor - parseMajor(current.total_balance, exponent);
  return surplus > 0 ? { minor: surplus, currency, exponent } : undefined;
}

export function describeChange(before: Obligation, after: Obligation): ObligationChange {
  const pick = ({ total_balance, last_pay, last_pay_date, days_delay }: Obligation) => ({
    total_balance,
    last_pay,
    last_pay_date,
    days_delay,
  });
  return { before: pick(before), after: pick(after) };
}

/** Minor units → a plain major-unit decimal, no separators; whole amounts without decimals. */
export function formatMajor({ minor, exponent }: Money): string {
  const digits = String(minor).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent) || '0';
  const fraction = exponent > 0 ? digits.slice(-exponent) : '';
  return /^0*$/.test(fraction) ? whole : `${whole}.${fraction}`;
}

/** A plain decimal string ("1250000", "1250000.5") → minor units at `exponent`, with no float step. */
export function parseMajor(value: string, exponent: number): number {
  const match = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(value);
  if (!match) throw new RangeError(`${quoted(value, 40)} is not a plain decimal amount`);
  const [, whole = '0', fraction = ''] = match;
  let significant = fraction.length;
  while (significant > 0 && fraction[significant - 1] === '0') significant--;
  if (significant > exponent) {
    throw new RangeError(`${quoted(value, 40)} has more decimals than the currency allows`);
  }
  const minor = Number(whole + fraction.padEnd(exponent, '0').slice(0, exponent));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${quoted(value, 40)} is too large`);
  return minor;
}

// Every UTC offset in use is a multiple of 15 minutes, so the calendar day is the same for every
// instant of a zone's 15-minute slice: worked out once per slice, not per payment. Bounded: slices
// of the days a container sees.
const QUARTER_HOUR_MS = 15 * 60 * 1000;
const days = new Map<string, [day: string, month: string, year: string]>();
const DAYS_KEPT = 2_000;

function dayParts(instant: Date, timeZone: string): [day: string, month: string, year: string] {
  const key = `${timeZone} ${Math.floor(instant.getTime() / QUARTER_HOUR_MS)}`;
  const known = days.get(key);
  if (known) return known;
  const { day, month, year } = wallClock(instant, timeZone);
  const found: [string, string, string] = [twoDigits(day), twoDigits(month), String(year)];
  if (days.size >= DAYS_KEPT) days.clear();
  days.set(key, found);
  return found;
}

const twoDigits = (n: number) => String(n).padStart(2, '0');

/** The calendar day of `instant` in the operation's time zone, in wolkvox's date format. */
export function calendarDate(instant: Date, rules: Pick<ObligationRules, 'timeZone' | 'dateFormat'>): string {
  const [day, month, year] = dayParts(instant, rules.timeZone);
  if (rules.dateFormat === 'MM-DD-YYYY') return `${month}-${day}-${year}`;
  if (rules.dateFormat === 'YYYY-MM-DD') return `${year}-${month}-${day}`;
  return `${day}-${month}-${year}`;
}
