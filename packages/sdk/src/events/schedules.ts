import { Type } from '@sinclair/typebox';

/**
 * `schedule.fired`: one slot of a cron trigger a plugin declared (`schedules` in definePlugin), delivered
 * to that install only, at least once per (install, schedule, slot). `occurredAt` is the slot, so a
 * handler's idempotency keys can be built from the event id or the slot.
 */
export const ScheduleFiredData = Type.Object(
  {
    schedule: Type.String({ description: 'The name of the schedule in the manifest' }),
    cron: Type.String({ description: 'Its five-field cron expression' }),
    slot: Type.String({ format: 'date-time', description: 'The slot this run is for (UTC), computed in timeZone' }),
    timeZone: Type.String({ description: "The merchant's time zone the cron was evaluated in" }),
    missedSlots: Type.Integer({ minimum: 0, description: 'Older slots since the last run that were skipped (downtime): only the latest missed slot runs' }),
  },
  { additionalProperties: false },
);
