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
   * How long a tenant whose plugin was stopped by the wall clock, ran out of memory or was running when
   * its worker crashed or hung runs on a quarantine worker instead of the shared ones. Default 60 s.
   */
  quarantineMs: number;
  /**
   * The CPU rate a quarantined tenant's bucket refills at (its bucket is emptied when it is sent
   * there): one that had to be stopped by force keeps a trickle, not a core. Default 50 ms per second.
   */
  quarantineCpuMsPerSecond: number;
  /**
   * A tenant whose recent guest CPU (decaying with a 250 ms half-life) goes over this is heavy: it moves
   * to a worker apart, so that its long calls stop making the others on its shared worker wait (calls
   * cannot be interrupted, only taken in turn). Default 20 ms: reached by a steady 20 × ln 2 ÷ 0.25 ≈
   * 55 ms of CPU per second (5.5% of a core), or by one call of 20 ms. The workers apart are started
   * when a tenant is half way there, so a move rarely waits for a process to start.
   */
  heavyCpuMs: number;
  /** How long a heavy tenant stays on its own worker after it was last heavy. Default 10 s. */
  heavyMs: number;
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = {
  concurrency: 16,
  cpuMsPerSecond: 500,
  cpuBurstMs: 2_000,
  quarantineMs: 60_000,
  quarantineCpuMsPerSecond: 50,
  heavyCpuMs: 20,
  heavyMs: 10_000,
};

/** The half-life of a tenant's recent CPU, in ms. */
const RECENT_CPU_HALF_LIFE_MS = 250;

interface TenantState {
  inFlight: number;
  /** CPU µs the tenant may still spend; refills at cpuMsPerSecond up to cpuBurstMs. */
  cpuTokens: number;
  refilledAt: number;
  quarantinedUntil: number;
  /** Guest CPU µs of the recent past, decaying; measured at `recentAt`. */
  recentCpu: number;
  recentAt: number;
  heavyUntil: number;
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
      const rate = state.quarantinedUntil > now ? this.policy.quarantineCpuMsPerSecond : this.policy.cpuMsPerSecond;
      const retryAfterMs = Math.ceil(-state.cpuTokens / rate) + 1;
      throw new TkError('TK_RATE_LIMITED', `tenant ${tenant} used its plugin CPU quota (${rate} ms per second${rate === this.policy.cpuMsPerSecond ? '' : ', in quarantine'})`, {
        details: { limit: 'cpu', cpuMsPerSecond: rate, retryAfterMs },
      });
    }
    state.inFlight++;
  }

  /** Releases the slot and charges the CPU the call used. */
  leave(tenant: string, cpuMicros: number, now = performance.now()): void {
    const state = this.tenants.get(tenant);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    const used = Math.max(0, cpuMicros);
    state.cpuTokens -= used;
    state.recentCpu = state.recentCpu * 2 ** (-(now - state.recentAt) / RECENT_CPU_HALF_LIFE_MS) + used;
    state.recentAt = now;
    if (state.recentCpu > this.policy.heavyCpuMs * 1000) state.heavyUntil = now + this.policy.heavyMs;
  }

  /** Sends the tenant to quarantine (its own worker) for the policy's period. */
  quarantine(tenant: string, now = performance.now()): void {
    const state = this.refill(tenant, now);
    state.quarantinedUntil = now + this.policy.quarantineMs;
    state.cpuTokens = Math.min(state.cpuTokens, 0);
  }

  isQuarantined(tenant: string, now = performance.now()): boolean {
    const state = this.tenants.get(tenant);
    return state !== undefined && state.quarantinedUntil > now;
  }

  /** True while the tenant's recent CPU use makes it too heavy to share a worker. */
  isHeavy(tenant: string, now = performance.now()): boolean {
    const state = this.tenants.get(tenant);
    return state !== undefined && state.heavyUntil > now;
  }

  /** True when the tenant's recent CPU use is over half the heavy threshold (it may soon be heavy). */
  isWarming(tenant: string, now = performance.now()): boolean {
    const state = this.tenants.get(tenant);
    if (!state) return false;
    const recent = state.recentCpu * 2 ** (-(now - state.recentAt) / RECENT_CPU_HALF_LIFE_MS);
    return recent > (this.policy.heavyCpuMs * 1000) / 2;
  }

  /** Tenants in quarantine now. */
  quarantined(now = performance.now()): string[] {
    return [...this.tenants].filter(([, s]) => s.quarantinedUntil > now).map(([tenant]) => tenant);
  }

  /** Tenants too heavy to share a worker now. */
  heavy(now = performance.now()): string[] {
    return [...this.tenants].filter(([, s]) => s.heavyUntil > now).map(([tenant]) => tenant);
  }

  private refill(tenant: string, now: number): TenantState {
    const burst = this.policy.cpuBurstMs * 1000;
    let state = this.tenants.get(tenant);
    if (!state) {
      state = { inFlight: 0, cpuTokens: burst, refilledAt: now, quarantinedUntil: 0, recentCpu: 0, recentAt: now, heavyUntil: 0 };
      this.tenants.set(tenant, state);
      return state;
    }
    // cpuMsPerSecond ms per 1,000 ms = cpuMsPerSecond µs per ms.
    const rate = state.quarantinedUntil > now ? this.policy.quarantineCpuMsPerSecond : this.policy.cpuMsPerSecond;
    state.cpuTokens = Math.min(burst, state.cpuTokens + (now - state.refilledAt) * rate);
    state.refilledAt = now;
    return state;
  }

  /** Forgets tenants with nothing to remember (nothing in flight, bucket full again, not quarantined). */
  private prune(now: number): void {
    this.callsSincePrune = 0;
    for (const [tenant, state] of this.tenants) {
      const refilled = state.cpuTokens + (now - state.refilledAt) * this.policy.cpuMsPerSecond;
      if (state.inFlight === 0 && refilled >= this.policy.cpuBurstMs * 1000 && state.quarantinedUntil <= now && state.heavyUntil <= now) this.tenants.delete(tenant);
    }
  }
}
