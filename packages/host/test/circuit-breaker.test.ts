// The circuit breaker's rules as pure functions (extensions/circuit-breaker.ts), tested directly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CLOSED, admit, record, type BreakerPolicy, type BreakerState } from '../src/platform/extensions/circuit-breaker.js';

const policy: BreakerPolicy = { windowCalls: 10, errorThreshold: 3, openMs: 1_000 };
const failure = { ok: false, countsAgainstPlugin: true, probe: false };
const success = { ok: true, countsAgainstPlugin: true, probe: false };

describe('the circuit breaker', () => {
  it('opens at the error threshold within a window', () => {
    let state: BreakerState = CLOSED;
    for (let i = 0; i < 2; i++) state = record(state, failure, 0, policy);
    expect(state.status).toBe('closed');
    state = record(state, failure, 500, policy);
    expect(state).toEqual({ status: 'open', calls: 0, errors: 0, openedAt: 500 });
    expect(admit(state, 1_499, policy).allowed).toBe(false);
  });

  it('lets one probe through after openMs; a successful probe closes it, a failed one re-opens it', () => {
    const open: BreakerState = { status: 'open', calls: 0, errors: 0, openedAt: 0 };
    const probe = admit(open, 1_000, policy);
    expect(probe).toEqual({ allowed: true, probe: true, next: { ...open, status: 'half_open' } });
    // A second caller while the probe is in flight is refused.
    expect(admit(probe.next, 1_001, policy).allowed).toBe(false);
    expect(record(probe.next, { ok: true, countsAgainstPlugin: true, probe: true }, 1_002, policy)).toEqual(CLOSED);
    expect(record(probe.next, { ok: false, countsAgainstPlugin: true, probe: true }, 1_002, policy)).toEqual({ status: 'open', calls: 0, errors: 0, openedAt: 1_002 });
  });

  it('holds failures that are not the plugin’s fault against nobody', () => {
    const notTheirs = { ok: false, countsAgainstPlugin: false, probe: false };
    let state: BreakerState = CLOSED;
    for (let i = 0; i < 100; i++) state = record(state, notTheirs, i, policy);
    expect(state).toEqual(CLOSED);
    const halfOpen: BreakerState = { status: 'half_open', calls: 0, errors: 0, openedAt: 0 };
    expect(record(halfOpen, { ...notTheirs, probe: true }, 5, policy)).toEqual({ ...halfOpen, status: 'open' });
  });

  it('never opens while fewer than the threshold of calls in any window failed', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (outcomes) => {
        let state: BreakerState = CLOSED;
        let errorsInWindow = 0;
        let callsInWindow = 0;
        for (const ok of outcomes) {
          if (callsInWindow >= policy.windowCalls) [callsInWindow, errorsInWindow] = [0, 0];
          callsInWindow++;
          if (!ok) errorsInWindow++;
          state = record(state, ok ? success : failure, 0, policy);
          if (state.status === 'open') {
            expect(errorsInWindow).toBe(policy.errorThreshold);
            return;
          }
          expect(errorsInWindow).toBeLessThan(policy.errorThreshold);
        }
      }),
    );
  });
});
