/**
 * The circuit breaker's policy and state (the breakers themselves: {@link SharedBreakers} in
 * shared-breakers.ts). Like Salesforce Commerce Cloud's: when `errorThreshold` of the last `windowCalls`
 * calls failed the breaker opens; after `openMs` one probe is let through (half-open); a successful
 * probe closes it, a failed one re-opens it.
 */
export interface BreakerPolicy {
  /** Calls in the sliding window (counted per host process). */
  windowCalls: number;
  /** Failures within the window that open the breaker. */
  errorThreshold: number;
  /** How long the breaker stays open before a probe. */
  openMs: number;
}

/** The default policy: 50 failures in the last 100 calls, 30 s open. */
export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { windowCalls: 100, errorThreshold: 50, openMs: 30_000 };

export type BreakerStatus = 'closed' | 'open' | 'half_open';

/** A breaker as shown: its shared status, and this process's window (calls and failures in it). */
export interface BreakerState {
  status: BreakerStatus;
  calls: number;
  errors: number;
  openedAt: number | null;
}

export const CLOSED: BreakerState = { status: 'closed', calls: 0, errors: 0, openedAt: null };
