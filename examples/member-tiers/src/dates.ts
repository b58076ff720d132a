// Calendar arithmetic for tier validity, in China Standard Time (UTC+8, no daylight saving): a member
// upgraded on 31 January (Beijing time) with one month of validity keeps the tier until 28 February
// (Beijing time), whatever the UTC date was. Timestamps in and out are RFC 3339; outputs are in UTC.

const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Milliseconds since the epoch of an RFC 3339 timestamp (already validated by the host). */
export function toMs(timestamp: string): number {
  return new Date(timestamp).getTime();
}

/** `2027-11-25T08:00:00Z` (milliseconds only when not zero), the form the inputs use. */
export function toTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * `timestamp` plus whole calendar months in Beijing time, keeping the time of day. A day that does not
 * exist in the target month becomes its last day: 31 Jan + 1 month = 28 (or 29) Feb; 29 Feb + 12 months = 28 Feb.
 */
export function addMonths(timestamp: string, months: number): string {
  const local = new Date(toMs(timestamp) + CST_OFFSET_MS); // its UTC fields are the Beijing wall clock
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + months; // Date.UTC carries months ≥ 12 into the next years
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const wall = Date.UTC(
    year,
    month,
    Math.min(local.getUTCDate(), lastDay),
    local.getUTCHours(),
    local.getUTCMinutes(),
    local.getUTCSeconds(),
    local.getUTCMilliseconds(),
  );
  return toTimestamp(wall - CST_OFFSET_MS);
}

/** The Beijing calendar date of a timestamp, e.g. `2027-11-25`, for reasons shown to people. */
export function cstDate(timestamp: string): string {
  return new Date(toMs(timestamp) + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** True when a tier with this expiry has lapsed at `now` (an expiry equal to `now` has lapsed; null never does). */
export function hasExpired(expiresAt: string | null, now: string): boolean {
  return expiresAt !== null && toMs(expiresAt) <= toMs(now);
}
