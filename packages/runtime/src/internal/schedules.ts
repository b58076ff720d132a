import { Cron } from 'croner';
import { TkError } from '@tongkit/sdk';

/**
 * Checks a manifest's cron triggers with croner (the library the host's schedule runner evaluates them
 * with, so what passes here is what runs there): five fields, a valid expression, unique names, and a
 * `handler` that names the schedule. Throws TK_VALIDATION with the JSON path of the first bad value.
 * Run at build and again when a version is loaded for review.
 */
export function checkSchedules(manifest: { schedules?: unknown }): void {
  const schedules = manifest.schedules;
  if (!Array.isArray(schedules)) return;
  const seen = new Set<string>();
  schedules.forEach((schedule: unknown, index) => {
    if (typeof schedule !== 'object' || schedule === null) return; // the manifest schema names it
    const { name, cron, handler } = schedule as { name?: unknown; cron?: unknown; handler?: unknown };
    if (typeof name === 'string') {
      if (seen.has(name)) throw new TkError('TK_VALIDATION', `schedule "${name}" is declared twice`, { path: `/schedules/${index}/name`, fault: 'user', hint: 'Give each schedule its own name.' });
      seen.add(name);
      if (handler !== undefined && handler !== `schedules.${name}`) {
        throw new TkError('TK_VALIDATION', `schedule "${name}" names handler ${JSON.stringify(handler)}, not "schedules.${name}"`, { path: `/schedules/${index}/handler`, fault: 'user' });
      }
    }
    if (typeof cron !== 'string') return;
    const problem = cronProblem(cron);
    if (problem) {
      throw new TkError('TK_VALIDATION', `schedule ${typeof name === 'string' ? `"${name}" ` : ''}has an invalid cron ${JSON.stringify(cron.slice(0, 100))}: ${problem}`, {
        path: `/schedules/${index}/cron`,
        fault: 'user',
        hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day.',
      });
    }
  });
}

/** Why `cron` is not a five-field expression croner accepts, or undefined when it is. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return `it has ${fields.length} fields, not 5`;
  try {
    const job = new Cron(cron, { paused: true, timezone: 'UTC' });
    if (job.nextRun(new Date(Date.UTC(2026, 0, 1))) === null) return 'it never fires';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
