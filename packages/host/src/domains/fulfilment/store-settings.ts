import { Type, type Static } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';

/** Days of a week, as working hours name them (ISO order, Monday first). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const ClockTime = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'local time HH:MM (24:00 = end of day)' });
const LocalDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'local calendar date YYYY-MM-DD' });

/** One opening interval on a weekday, in the merchant's time zone. */
export const WorkingInterval = Type.Object(
  {
    day: Type.Union(WEEKDAYS.map((d) => Type.Literal(d))),
    opens: ClockTime,
    closes: ClockTime,
  },
  { additionalProperties: false },
);

/** Where a store is (WGS-84 degrees). Only the host reads it: plugins get distances. */
export const StoreLocation = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);

/**
 * What a store does as a fulfilment point (Tmall's store delivery config): capabilities, working time in
 * the merchant's time zone, how many orders a day it takes, its priority, where it is and how far it
 * delivers, and the smallest order it delivers.
 */
export const StoreFulfilmentSettings = Type.Object(
  {
    capabilities: Type.Array(Type.Union([Type.Literal('deliver'), Type.Literal('pickup')]), { uniqueItems: true, maxItems: 2 }),
    workingHours: Type.Array(WorkingInterval, { maxItems: 28 }),
    closedDays: Type.Array(LocalDate, { uniqueItems: true, maxItems: 366 }),
    dailyCapacity: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'orders a local day' }),
    priority: Type.Integer({ minimum: 0, maximum: 10, description: '0 lowest, 10 highest' }),
    location: Type.Union([StoreLocation, Type.Null()]),
    deliveryRadiusM: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'metres' }),
    minDeliveryOrderFen: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'fen' }),
  },
  { additionalProperties: false },
);
export type StoreFulfilmentSettings = Static<typeof StoreFulfilmentSettings>;

const minutesOf = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * The checks a schema cannot say, each refused with TK_VALIDATION at its JSON path: an interval closes
 * after it opens and overlaps no other of its day, closed days are real dates, and a store that delivers
 * has a location and a radius.
 */
export function checkStoreFulfilmentSettings(settings: StoreFulfilmentSettings): void {
  const byDay = new Map<Weekday, Array<{ index: number; opens: number; closes: number }>>();
  settings.workingHours.forEach((interval, index) => {
    const opens = minutesOf(interval.opens);
    const closes = minutesOf(interval.closes);
    if (closes <= opens) {
      throw new TkError('TK_VALIDATION', `working hours ${interval.day} ${interval.opens}–${interval.closes} close before they open`, {
        path: `/workingHours/${index}/closes`,
        hint: 'Give hours that end the same day; split an overnight shift into two days (e.g. 18:00–24:00 and 00:00–02:00).',
      });
    }
    const day = byDay.get(interval.day) ?? [];
    const overlapping = day.find((other) => opens < other.closes && other.opens < closes);
    if (overlapping) {
      throw new TkError('TK_VALIDATION', `working hours ${interval.day} ${interval.opens}–${interval.closes} overlap /workingHours/${overlapping.index}`, {
        path: `/workingHours/${index}`,
      });
    }
    day.push({ index, opens, closes });
    byDay.set(interval.day, day);
  });
  settings.closedDays.forEach((date, index) => {
    if (!isCalendarDate(date)) throw new TkError('TK_VALIDATION', `${date} is not a calendar date`, { path: `/closedDays/${index}` });
  });
  if (settings.capabilities.includes('deliver')) {
    if (settings.location === null) throw new TkError('TK_VALIDATION', 'a store that delivers needs its location', { path: '/location' });
    if (settings.deliveryRadiusM === 0) throw new TkError('TK_VALIDATION', 'a store that delivers needs a delivery radius above 0 m', { path: '/deliveryRadiusM' });
  }
}

/** An instant as the merchant's calendar reads it. */
export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_OF: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

/** `instant` in time zone `timeZone` (an IANA name such as `Asia/Shanghai`). */
export function localTimeOf(instant: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    weekday: WEEKDAY_OF[parts['weekday'] ?? '']!,
    minutes: Number(parts['hour']) * 60 + Number(parts['minute']),
  };
}

/** Whether the store is open at `instant`: not on a closed day, and inside one of that weekday's intervals. */
export function isOpenAt(settings: Pick<StoreFulfilmentSettings, 'workingHours' | 'closedDays'>, timeZone: string, instant: Date): boolean {
  const local = localTimeOf(instant, timeZone);
  if (settings.closedDays.includes(local.date)) return false;
  return settings.workingHours.some((i) => i.day === local.weekday && minutesOf(i.opens) <= local.minutes && local.minutes < minutesOf(i.closes));
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
