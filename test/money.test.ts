import { describe, expect, it } from 'vitest';
import { bogotaTime, minorOfNumber, minorUnits } from '#lib/providers/payments/money.ts';

describe('gateway amounts without floats', () => {
  it.each([
    ['150', 15000],
    ['150.0', 15000],
    ['150.00', 15000],
    ['150.5', 15050],
    ['150.26', 15026],
    ['0.29', 29],
    ['62000.00', 6200000],
    ['424265', 42426500],
    ['150.000', 15000],
  ])('%s → %i minor units', (text, minor) => {
    expect(minorUnits(text)).toBe(minor);
  });

  it.each(['', '-5', '1e3', '150.261', '12,50', ' ', 'NaN', '0x10', '1'.repeat(20)])(
    '%j is no amount',
    (text) => {
      expect(minorUnits(text)).toBeUndefined();
    },
  );

  it('reads JSON numbers through their decimal text', () => {
    expect(minorOfNumber(59900)).toBe(5_990_000);
    expect(minorOfNumber(0.29)).toBe(29);
    expect(minorOfNumber(150.26)).toBe(15026);
    expect(minorOfNumber(-1)).toBeUndefined();
    expect(minorOfNumber(1e21)).toBeUndefined();
  });
});

describe('Colombian local times', () => {
  it('reads them at UTC−5', () => {
    expect(bogotaTime('2026-11-20 10:15:30')).toBe('2026-11-20T15:15:30.000Z');
    expect(bogotaTime('2026-12-31 21:00:00')).toBe('2027-01-01T02:00:00.000Z');
  });
  it.each(['2026-11-20', '20/11/2026 10:15:30', '2026-13-40 99:99:99', ''])('%j is no time', (text) => {
    expect(bogotaTime(text)).toBeUndefined();
  });
});
