// The plugin's calendar maths is plain integer arithmetic (it does not rely on the sandbox's Date);
// here it is checked against Node's Date on the host.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMonths, cstDate, hasExpired, toMs, toTimestamp } from '../src/dates.js';

const CST = 8 * 3600_000;
const instant = fc.integer({ min: Date.parse('1971-01-01T00:00:00Z'), max: Date.parse('2199-12-31T23:59:59Z') });

/** The reference: Node's Date on the Beijing wall clock, with the day clamped to the target month. */
function referenceAddMonths(ms: number, months: number): number {
  const wall = new Date(ms + CST);
  const target = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(wall.getUTCDate(), lastDay));
  target.setUTCHours(wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), wall.getUTCMilliseconds());
  return target.getTime() - CST;
}

describe('dates', () => {
  it('reads RFC 3339 timestamps as Date.parse does, offsets and fractions included', () => {
    const offset = fc.integer({ min: -12 * 60, max: 14 * 60 });
    fc.assert(
      fc.property(instant, offset, (ms, minutes) => {
        const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 23);
        const sign = minutes < 0 ? '-' : '+';
        const zone = `${sign}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
        expect(toMs(`${local}${zone}`)).toBe(ms);
        expect(toMs(new Date(ms).toISOString())).toBe(ms);
      }),
    );
    expect(toMs('2026-11-25T08:00:00.123456789Z')).toBe(Date.parse('2026-11-25T08:00:00.123Z'));
  });

  it('writes timestamps like toISOString, without a zero fraction', () => {
    fc.assert(
      fc.property(instant, (ms) => {
        expect(toTimestamp(ms)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
      }),
    );
    expect(toTimestamp(Date.parse('2027-11-25T02:00:00Z'))).toBe('2027-11-25T02:00:00Z');
  });

  it('adds calendar months on the Beijing wall clock, clamping to the month’s last day', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 120 }), (ms, months) => {
        expect(toMs(addMonths(new Date(ms).toISOString(), months))).toBe(referenceAddMonths(ms, months));
      }),
      { numRuns: 2000 },
    );
    expect(addMonths('2027-01-31T02:00:00Z', 1)).toBe('2027-02-28T02:00:00Z');
    expect(addMonths('2028-02-29T02:00:00Z', 12)).toBe('2029-02-28T02:00:00Z');
    expect(addMonths('2027-08-31T02:00:00Z', 1)).toBe('2027-09-30T02:00:00Z');
  });

  it('shows Beijing dates and treats an expiry at now as lapsed', () => {
    expect(cstDate('2027-02-28T15:59:59Z')).toBe('2027-02-28');
    expect(cstDate('2027-02-28T16:00:00Z')).toBe('2027-03-01');
    expect(hasExpired('2026-11-25T02:00:00Z', '2026-11-25T10:00:00+08:00')).toBe(true);
    expect(hasExpired('2026-11-25T02:00:00.001Z', '2026-11-25T02:00:00Z')).toBe(false);
    expect(hasExpired(null, '2099-01-01T00:00:00Z')).toBe(false);
  });
});
