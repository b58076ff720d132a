import { TkError } from '@tongkit/sdk';

/** Per-tenant fairness limits of a worker pool (a tenant is a merchant in the host). */
export interface TenantPolicy {
  /** Calls one tenant may have in flight at once; more are refused with TK_RATE_LIMITED. Default 16. */
  concurrency: number;
  /** Guest CPU one tenant may use per second of wall time, sustained. Default 500 ms (half a core). */
  cpuMsPerSecond: number;
  /** Guest CPU one tenant may use in a burst above the sustained rate. Default 2,000 ms. */
  cpuBurstMs: number;
  /**
   * How long a tenant whose plugin was stopped by the wall clock, ran out of memory or was in flight
   * when a worker crashed runs on a quarantine worker of its own instead of the shared ones. Default 60 s.
   */
  quarantineMs: number;
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = { concurrency: 16, cpuMsPerSecond: 500, cpuBurstMs: 2_000, quarantineMs: 60_000 };

interface TenantState {
  inFlight: number;
  /** CPU µs the tenant may still spend; refills at cpuMsPerSecond up to cpuBurstMs. */
  cpuTokens: number;
  refilledAt: number;
  quarantinedUntil: number;
}

/**
 * Admission control per tenant: a concurrency cap and a CPU token bucket charged with what each call
 * really used (the isolate's cpuTime, or the wall time of a call that had to be stopped). The bucket is
 * charged after the call — a guest's cost is only known then — so one call can overdraw it; the tenant
 * then waits until it is paid back.
 */
export class TenantGuard {
  private readonly tenants = new Map<string, TenantState>();
  private callsSincePrune = 0;

  constructor(private readonly policy: TenantPolicy = DEFAULT_TENANT_POLICY) {}

  /** Takes a slot for one call, or throws TK_RATE_LIMITED saying which limit and when to retry. */
  enter(tenant: string, now = performance.now()): void {
    if (++this.callsSincePrune >= 4096) this.prune(now);
    const state = this.refill(tenant, now);
    if (state.inFlight >= this.policy.concurrency) {
      throw new TkError('TK_RATE_LIMITED', `tenant ${tenant} already has ${state.inFlight} plugin calls in flight (limit ${this.policy.concurrency})`, {
        details: { limit: 'concurrency', inFlight: state.inFlight, max: this.policy.concurrency, retryAfterMs: 10 },
      });
    }
    if (state.cpuTokens <= 0) {
      const retryAfterMs = Math.ceil(-state.cpuTokens / this.policy.cpuMsPerSecond) + 1;
      throw new TkError('TK_RATE_LIMITED', `tenant ${tenant} used its plugin CPU quota (${this.policy.cpuMsPerSecond} ms per second)`, {
        details: { limit: 'cpu', cpuMsPerSecond: this.policy.cpuMsPerSecond, retryAfterMs },
      });
    }
    state.inFlight++;
  }

  /** Releases the slot and charges the CPU the call used. */
  leave(tenant: string, cpuMicros: number): void {
    const state = this.tenants.get(tenant);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    state.cpuTokens -= Math.max(0, cpuMicros);
  }

  /** Sends the tenant to quarantine (its own worker) for the policy's period. */
  quarantine(tenant: string, now = performance.now()): void {
    this.refill(tenant, now).quarantinedUntil = now + this.policy.quarantineMs;
  }

  isQuarantined(tenant: string, now = performance.now()): boolean {
    const state = this.tenants.get(tenant);
    return state !== undefined && state.quarantinedUntil > now;
  }

  /** Tenants in quarantine now. */
  quarantined(now = performance.now()): string[] {
    return [...this.tenants].filter(([, s]) => s.quarantinedUntil > now).map(([tenant]) => tenant);
  }

  private refill(tenant: string, now: number): TenantState {
    const burst = this.policy.cpuBurstMs * 1000;
    let state = this.tenants.get(tenant);
    if (!state) {
      state = { inFlight: 0, cpuTokens: burst, refilledAt: now, quarantinedUntil: 0 };
      this.tenants.set(tenant, state);
      return state;
    }
    // cpuMsPerSecond ms per 1,000 ms = cpuMsPerSecond µs per ms.
    state.cpuTokens = Math.min(burst, state.cpuTokens + (now - state.refilledAt) * this.policy.cpuMsPerSecond);
    state.refilledAt = now;
    return state;
  }

  /** Forgets tenants with nothing to remember (nothing in flight, bucket full again, not quarantined). */
  private prune(now: number): void {
    this.callsSincePrune = 0;
    for (const [tenant, state] of this.tenants) {
      const refilled = state.cpuTokens + (now - state.refilledAt) * this.policy.cpuMsPerSecond;
      if (state.inFlight === 0 && refilled >= this.policy.cpuBurstMs * 1000 && state.quarantinedUntil <= now) this.tenants.delete(tenant);
    }
  }
}
