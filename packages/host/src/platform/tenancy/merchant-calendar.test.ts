import { describe, expect, it } from 'vitest';
import { MerchantCalendar, checkTimeZone } from './merchant-calendar.js';

describe('the merchant calendar', () => {
  it('dates an instant in the merchant’s time zone, not UTC', () => {
    const shanghai = new MerchantCalendar('Asia/Shanghai');
    expect(shanghai.localDate(new Date('2026-11-30T17:30:00Z'))).toBe('2026-12-01');
    expect(new MerchantCalendar('America/Los_Angeles').localDate(new Date('2026-12-01T05:00:00Z'))).toBe('2026-11-30');
    expect(shanghai.localMonth(new Date('2026-11-30T16:00:00Z'))).toBe('2026-12');
  });

  it('finds the UTC instant a local day starts, across a DST switch', () => {
    expect(new MerchantCalendar('Asia/Shanghai').startOfDay('2026-12-01').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    // Berlin switches to summer time on 2026-03-29: that day starts at 23:00 UTC the day before (UTC+1).
    expect(new MerchantCalendar('Europe/Berlin').startOfDay('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new MerchantCalendar('Europe/Berlin').startOfDay('2026-03-30').toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('computes a 12-month window from the local start of the same day a year back', () => {
    const window = new MerchantCalendar('Asia/Shanghai').twelveMonthWindow(new Date('2026-11-30T17:30:00Z'));
    expect(window.from.toISOString()).toBe('2025-11-30T16:00:00.000Z');
  });

  it('tells a birthday month in local time', () => {
    const shanghai = new MerchantCalendar('Asia/Shanghai');
    expect(shanghai.isBirthdayMonth('1990-12-05', new Date('2026-11-30T17:00:00Z'))).toBe(true);
    expect(new MerchantCalendar('UTC').isBirthdayMonth('1990-12-05', new Date('2026-11-30T17:00:00Z'))).toBe(false);
  });

  it('refuses a time zone that is not IANA, with its path', () => {
    expect(checkTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/not an IANA time zone/);
  });
});
