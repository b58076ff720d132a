// Calendar arithmetic for tier validity, in China Standard Time (UTC+8, no daylight saving): a member
// upgraded on 31 January (Beijing time) with one month of validity keeps the tier until 28 February
// (Beijing time), whatever the UTC date was. Timestamps in are RFC 3339 (validated by the host); out,
// they are UTC (`…Z`).
//
// Integer calendar maths (H. Hinnant's days-from-civil algorithms) rather than `Date`: the result does
// not depend on the sandbox's `Date`, which the runtime replaces to pin the clock.

const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 60 * 60 * 1000;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

interface CivilDate {
  year: number;
  month: number; // 1–12
  day: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The proleptic Gregorian date `days` after 1970-01-01. */
function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day: dayOfYear - Math.floor((153 * mp + 2) / 5) + 1 };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Milliseconds since the epoch of an RFC 3339 timestamp (digits past milliseconds are dropped). */
export function toMs(timestamp: string): number {
  const m = RFC3339.exec(timestamp);
  if (!m) throw new RangeError(`not an RFC 3339 timestamp: ${timestamp}`);
  const [, year, month, day, hours, minutes, seconds, fraction = '', zone, sign, offsetHours, offsetMinutes] = m;
  const days = daysFromCivil({ year: Number(year), month: Number(month), day: Number(day) });
  const offsetMs = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return days * DAY_MS + ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + ms - offsetMs;
}

/** `2027-11-25T08:00:00Z` (milliseconds only when not zero), the form the inputs use. */
export function toTimestamp(epochMs: number): string {
  const days = Math.floor(epochMs / DAY_MS);
  const { year, month, day } = civilFromDays(days);
  const ms = epochMs - days * DAY_MS;
  const time = `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}`;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}${ms % 1000 ? `.${pad(ms % 1000, 3)}` : ''}Z`;
}

/**
 * `timestamp` plus whole calendar months in Beijing time, keeping the time of day. A day that does not
 * exist in the target month becomes its last day: 31 Jan + 1 month = 28 (or 29) Feb; 29 Feb + 12 months = 28 Feb.
 */
export function addMonths(timestamp: string, months: number): string {
  const wall = toMs(timestamp) + CST_OFFSET_MS; // the Beijing wall clock, counted as if it were UTC
  const days = Math.floor(wall / DAY_MS);
  const timeOfDay = wall - days * DAY_MS;
  const { year, month, day } = civilFromDays(days);
  const index = year * 12 + (month - 1) + months;
  const target = { year: Math.floor(index / 12), month: (index % 12) + 1, day: 0 };
  target.day = Math.min(day, daysInMonth(target.year, target.month));
  return toTimestamp(daysFromCivil(target) * DAY_MS + timeOfDay - CST_OFFSET_MS);
}

/** The Beijing calendar date of a timestamp, e.g. `2027-11-25`, for reasons shown to people. */
export function cstDate(timestamp: string): string {
  const { year, month, day } = civilFromDays(Math.floor((toMs(timestamp) + CST_OFFSET_MS) / DAY_MS));
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** True when a tier with this expiry has lapsed at `now` (an expiry equal to `now` has lapsed; null never does). */
export function hasExpired(expiresAt: string | null, now: string): boolean {
  return expiresAt !== null && toMs(expiresAt) <= toMs(now);
}
