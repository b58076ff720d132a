import { TkError } from '@tongkit/sdk';
import type { Queryable, QueryResult } from '../storage/database.js';

/**
 * The batch transaction as one delivery's host calls (`ctx.kv.*`) see it.
 *
 * A statement that fails aborts the whole PostgreSQL transaction: every later statement of the batch —
 * the other deliveries' handlers and the final ack — fails too, and the batch would be claimed again
 * forever. Host calls check what a plugin passes before querying, but a plugin may still find an input
 * the database refuses, and it can catch the host call's error and return as if nothing happened. So the
 * first database error is kept here as {@link failure}: the dispatcher fails the delivery with it whatever
 * the handler returns, and runs the batch again isolated, where `ROLLBACK TO SAVEPOINT` undoes the abort
 * and the delivery's attempt counts. Later host calls of the same delivery fail at once.
 */
export class HostCallTransaction implements Queryable {
  /** The first statement that failed, as the error its host call threw; undefined while none has. */
  failure: TkError | undefined;

  constructor(private readonly tx: Queryable) {}

  async query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    if (this.failure) throw this.failure;
    try {
      return await this.tx.query<Row>(sql, params);
    } catch (error) {
      this.failure = hostCallFailure(error);
      throw this.failure;
    }
  }
}

/**
 * A database error as the plugin sees it. A data exception (SQLSTATE class 22: a value the database cannot
 * take) is the plugin's input; anything else is the platform's.
 */
function hostCallFailure(error: unknown): TkError {
  if (error instanceof TkError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('22')) {
    return new TkError('TK_VALIDATION', `the host call was refused by storage: ${message}`, { fault: 'plugin', details: { sqlState: code } });
  }
  return new TkError('TK_INTERNAL', `the host call failed in storage: ${message}`, { fault: 'platform', cause: error });
}
