/**
 * The circuit breaker's rules, as pure functions over its stored state, so several host processes can
 * share one breaker through the database (each transition is one UPDATE … RETURNING of this state).
 *
 * Like Salesforce Commerce Cloud's: a rolling window of calls; when at least `minCalls` calls in the
 * window failed `errorThreshold` times the breaker opens; after `openMs` one probe is let through
 * (half-open); a successful probe closes it, a failed one re-opens it.
 */
export interface BreakerPolicy {
  /** Calls per window. */
  windowCalls: number;
  /** Errors within a window that open the breaker. */
  errorThreshold: number;
  /** How long the breaker stays open before a probe. */
  openMs: number;
}

/** The default policy: 50 errors in 100 calls, 30 s open. */
export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { windowCalls: 100, errorThreshold: 50, openMs: 30_000 };

export type BreakerStatus = 'closed' | 'open' | 'half_open';

export interface BreakerState {
  status: BreakerStatus;
  calls: number;
  errors: number;
  openedAt: number | null;
}

export const CLOSED: BreakerState = { status: 'closed', calls: 0, errors: 0, openedAt: null };

/** Whether a call may go to the plugin now, and the state to store if it is a probe. */
export function admit(state: BreakerState, now: number, policy: BreakerPolicy): { allowed: boolean; probe: boolean; next: BreakerState } {
  if (state.status === 'closed') return { allowed: true, probe: false, next: state };
  if (state.status === 'open' && state.openedAt !== null && now - state.openedAt >= policy.openMs) {
    return { allowed: true, probe: true, next: { ...state, status: 'half_open' } };
  }
  // Open and cooling down, or a probe already in flight.
  return { allowed: false, probe: false, next: state };
}

/**
 * Records the outcome of a call. `countsAgainstPlugin` is false for failures that are not the plugin's
 * fault (a timeout while the host was saturated, a crashed worker): they neither open nor close it.
 */
export function record(state: BreakerState, outcome: { ok: boolean; countsAgainstPlugin: boolean; probe: boolean }, now: number, policy: BreakerPolicy): BreakerState {
  if (outcome.probe) {
    if (outcome.ok) return CLOSED;
    if (outcome.countsAgainstPlugin) return { status: 'open', calls: 0, errors: 0, openedAt: now };
    return { ...state, status: 'open' };
  }
  if (state.status !== 'closed') return state;
  if (!outcome.ok && !outcome.countsAgainstPlugin) return state;
  const rolled = state.calls >= policy.windowCalls ? { calls: 0, errors: 0 } : { calls: state.calls, errors: state.errors };
  const calls = rolled.calls + 1;
  const errors = rolled.errors + (outcome.ok ? 0 : 1);
  if (errors >= policy.errorThreshold) return { status: 'open', calls: 0, errors: 0, openedAt: now };
  return { status: 'closed', calls, errors, openedAt: null };
}
