import { Cron } from 'croner';

/** The slot a schedule is due for at `now`, and what it skipped since the previous claimed slot. */
export interface DueSlot {
  /** The latest slot at or before `now`. */
  slot: Date;
  /** Slots after `previous` and before `slot` that will not run (downtime), at most {@link MAX_COUNTED_MISSES}. */
  missed: number;
  firstMissed: Date | undefined;
}

/** Missed slots are counted up to this many (a minutely cron down for a week would enumerate 10 080). */
export const MAX_COUNTED_MISSES = 1000;

/**
 * The missed-slot rule (docs/schedules.md): a schedule runs its **latest** due slot once; older slots since
 * the previous claimed one are skipped and counted, never run late one after another. Slots before
 * `notBefore` (the install's creation) do not count. Returns undefined when no slot is due since then,
 * or the latest slot was already claimed (`previous`).
 */
export function dueSlot(cron: string, timeZone: string, now: Date, previous: Date | undefined, notBefore: Date): DueSlot | undefined {
  const job = new Cron(cron, { paused: true, timezone: timeZone });
  const [latest] = job.previousRuns(1, now);
  if (!latest || latest < notBefore) return undefined;
  if (previous && latest.getTime() <= previous.getTime()) return undefined;
  const from = previous && previous > notBefore ? previous : notBefore;
  let missed = 0;
  let firstMissed: Date | undefined;
  for (let next = job.nextRun(from); next && next < latest && missed < MAX_COUNTED_MISSES; next = job.nextRun(next)) {
    firstMissed ??= next;
    missed++;
  }
  return { slot: latest, missed, firstMissed };
}
