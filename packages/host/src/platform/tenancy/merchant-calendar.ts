import { TkError } from '@tongkit/sdk';

/** The time zone of a merchant that never set one. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** TK_VALIDATION at `path` unless `timeZone` is an IANA time zone this host's ICU knows. */
export function checkTimeZone(timeZone: string, path = '/timeZone'): string {
  try {
    // Throws a RangeError for a zone ICU does not know; resolvedOptions gives its canonical spelling.
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw new TkError('TK_VALIDATION', `"${timeZone.slice(0, 64)}" is not an IANA time zone`, { path, hint: 'Use a name like Asia/Shanghai or Europe/Berlin.' });
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(timeZone: string, at: Date) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts['year']), month: Number(parts['month']), day: Number(parts['day']), hour: Number(parts['hour']), minute: Number(parts['minute']), second: Number(parts['second']) };
}

/**
 * A merchant's calendar: every calendar rule (12-month spend windows, "birthday this month", daily
 * capacity, statements, cron slots) is computed in the merchant's time zone, while storage stays UTC.
 *
 * @example
 * const calendar = new MerchantCalendar('Asia/Shanghai');
 * calendar.localDate(new Date('2026-11-30T17:00:00Z')) // '2026-12-01' (01:00 in Shanghai)
 */
export class MerchantCalendar {
  constructor(readonly timeZone: string = DEFAULT_TIME_ZONE) {}

  /** The local date (`YYYY-MM-DD`) of an instant. */
  localDate(at: Date): string {
    const p = partsIn(this.timeZone, at);
    return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  }

  /** The local month (`YYYY-MM`) of an instant. */
  localMonth(at: Date): string {
    return this.localDate(at).slice(0, 7);
  }

  /** The UTC instant at which local date `date` (`YYYY-MM-DD`) begins (local midnight). */
  startOfDay(date: string): Date {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number];
    // Guess the instant as if local time were UTC, then correct by the zone's offset there; twice,
    // since the offset may change between the guess and the answer (a DST switch).
    let guess = Date.UTC(year, month - 1, day);
    for (let i = 0; i < 2; i++) {
      const p = partsIn(this.timeZone, new Date(guess));
      const shownAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      guess += Date.UTC(year, month - 1, day) - shownAsUtc;
    }
    return new Date(guess);
  }

  /**
   * The 12-month window ending at `now`: from the local start of the same day a year before, e.g. the
   * spend window of a tier rule. Returned as UTC instants `[from, to)`.
   */
  twelveMonthWindow(now: Date): { from: Date; to: Date } {
    const [year, month, day] = this.localDate(now).split('-').map(Number) as [number, number, number];
    // 29 February a year back is 1 March.
    const back = new Date(Date.UTC(year - 1, month - 1, day));
    return { from: this.startOfDay(back.toISOString().slice(0, 10)), to: now };
  }

  /** True when `birthday` (`YYYY-MM-DD` or `MM-DD`) falls in the local month of `now`. */
  isBirthdayMonth(birthday: string, now: Date): boolean {
    const month = birthday.length === 5 ? birthday.slice(0, 2) : birthday.slice(5, 7);
    return this.localMonth(now).slice(5) === month;
  }
}
