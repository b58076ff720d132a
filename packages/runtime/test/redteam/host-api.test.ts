// Red team, host-API abuse: a hostile event handler calls host APIs it was not granted, floods them past
// the 50-calls-per-invocation cap (one after another, all at once, fired without awaiting), sends
// arguments of 10 MB or nested thousands deep, reaches for APIs ctx does not have, names another
// tenant's install in its keys, retries non-idempotently, and calls through a context that outlived its
// invocation. A fake in-memory host per install stands in for the real one (the real host's half —
// KV scoping and idempotency on PostgreSQL — is packages/host/test/redteam-host-api.test.ts). Each
// attack asserts (1) its code (on the invocation, or where the plugin caught it, on what the plugin
// saw), (2) the process is up, (3) another tenant in the same runtime is served right after, (4) nothing
// leaked — and what the host saw: never more than it should. Fixtures: plugins/redteam-host-api
// (event.data.case picks the attack), redteam-tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HANDLER_BUDGET, TkError } from '@tongkit/sdk';
import type { EventResult } from '@tongkit/runtime';
import {
  ATTACKER_MERCHANT,
  FakeHost,
  TENANT_INSTALL,
  attackEvent,
  expectContained,
  expectEventFailure,
  expectEventOk,
  openArena,
  reported,
  type Arena,
} from './support-resources.js';

const CAP = EVENT_HANDLER_BUDGET.hostCalls;
const ARGS_LIMIT = EVENT_HANDLER_BUDGET.hostCallArgsBytes;
const TEN_MB = 10 * 1024 * 1024;

let arena: Arena;

beforeAll(async () => {
  arena = await openArena('redteam-host-api');
});

afterAll(async () => {
  await arena?.dispose();
});

async function attack(kase: string, host: FakeHost, data: Record<string, unknown> = {}): Promise<{ result: EventResult; isolatesBefore: number }> {
  const isolatesBefore = arena.runtime.stats().isolatesAlive;
  const result = await arena.attacker.handleEvent(attackEvent(kase, data), {}, host);
  return { result, isolatesBefore };
}

/** The tenant's host must never have seen anything of the attacker's: its KV holds only its own counter. */
function expectTenantUntouched(): void {
  expect([...arena.tenantHost.kv.keys()]).toEqual(['orders']);
  expect(arena.tenantHost.calls.every((call) => call.method === 'increment' && call.args[0] === 'orders')).toBe(true);
}

/** Codes the plugin saw, per code. */
type Codes = Record<string, number>;

describe('permissions', () => {
  it('fails the invocation with TK_PERMISSION_DENIED when the plugin catches every refusal and tries every method; the host saw nothing', async () => {
    const host = new FakeHost({ permissions: [] });
    const { result, isolatesBefore } = await attack('denied-caught', host);
    const error = expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(error.details).toMatchObject({ permission: 'storage:kv', namespace: 'kv' });
    expect(reported<{ codes: string[] }>(result).codes).toEqual(['TK_PERMISSION_DENIED', 'TK_PERMISSION_DENIED', 'TK_PERMISSION_DENIED', 'TK_PERMISSION_DENIED']);
    expect(host.calls).toEqual([]);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('fails the invocation with TK_PERMISSION_DENIED when the refusal propagates; the host saw nothing', async () => {
    const host = new FakeHost({ permissions: ['member:read'] });
    const { result, isolatesBefore } = await attack('denied-uncaught', host);
    expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(host.calls).toEqual([]);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('host call floods past the 50-call cap', () => {
  it('fails 200 sequential calls, every refusal caught, with TK_HOST_CALL_LIMIT; the host saw exactly 50', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('sequential-flood', host, { n: 200 });
    expect(expectEventFailure(result, 'TK_HOST_CALL_LIMIT').details).toMatchObject({ limit: CAP });
    expect(host.calls).toHaveLength(CAP);
    expect(reported<{ codes: Codes }>(result).codes).toEqual({ ok: CAP, TK_HOST_CALL_LIMIT: 200 - CAP });
    expect(result.measurements.hostCalls).toBeLessThanOrEqual(CAP + 1);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('fails 10,000 parallel calls with TK_HOST_CALL_LIMIT; the host saw at most 50', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('parallel-flood', host, { n: 10_000 });
    expectEventFailure(result, 'TK_HOST_CALL_LIMIT');
    expect(host.calls.length).toBeLessThanOrEqual(CAP);
    expect(reported(result)).toEqual({ fulfilled: host.calls.length, rejected: 10_000 - host.calls.length });
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('fails 20,000 calls fired without awaiting with TK_HOST_CALL_LIMIT; the guest refuses them before they cross, so nothing piles up on the host', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('sync-flood', host, { n: 20_000 });
    expectEventFailure(result, 'TK_HOST_CALL_LIMIT');
    expect(host.calls.length).toBeLessThanOrEqual(CAP);
    // What crossed the boundary: the cap, and the one call that told the host it was exceeded.
    expect(result.measurements.hostCalls).toBe(CAP + 1);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('oversized and overnested arguments', () => {
  it('refuses 10 MB arguments with TK_VALIDATION before they cross — as a value, in a key, nested — and serves the next call', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('oversized-caught', host, { n: TEN_MB });
    expectEventOk(result);
    expect(reported(result)).toEqual({
      first: { code: 'TK_VALIDATION' },
      second: { code: 'TK_VALIDATION' },
      nested: { code: 'TK_VALIDATION' },
      after: {},
    });
    expect(host.calls.map((call) => call.args[0])).toEqual(['small']);
    expect(host.largestCallBytes()).toBeLessThan(ARGS_LIMIT);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('fails a handler that lets the refusal of a 10 MB argument propagate: TK_PLUGIN_ERROR naming TK_VALIDATION', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('oversized-uncaught', host, { n: TEN_MB });
    const error = expectEventFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.details).toMatchObject({ hostErrorCode: 'TK_VALIDATION' });
    expect(error.message).toContain(`over the ${ARGS_LIMIT}-byte limit of a host call`);
    expect(host.calls).toEqual([]);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('refuses 200 calls of 1 MB fired at once, every one with TK_VALIDATION: no copy reaches the host', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('oversized-flood', host, { n: 1024 * 1024 });
    expectEventOk(result);
    expect(reported(result)).toEqual({ codes: { TK_VALIDATION: 200 } });
    expect(host.calls).toEqual([]);
    expect(result.measurements.hostCalls).toBe(0);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('counts the limit in UTF-8 bytes host-side: 60,000 "€" (fewer characters than the limit, 180 KB) are refused with TK_VALIDATION', async () => {
    const host = new FakeHost();
    expect(60_000).toBeLessThan(ARGS_LIMIT);
    const { result, isolatesBefore } = await attack('multibyte-args', host, { n: 60_000 });
    expectEventOk(result);
    expect(reported(result)).toEqual({ outcome: { code: 'TK_VALIDATION' } });
    expect(host.calls).toEqual([]);
    // It crossed (the guest's character count could not tell), and the host-side byte count refused it.
    expect(result.measurements.hostCalls).toBe(1);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('refuses arguments nested 10,000 levels deep (within the size limit) with TK_VALIDATION before the host’s serialisers see them', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('deep-args', host, { n: 10_000 });
    expectEventOk(result);
    expect(reported(result)).toEqual({ outcome: { code: 'TK_VALIDATION' } });
    expect(host.calls).toEqual([]);
    // 60 levels are fine.
    const shallow = await arena.attacker.handleEvent(attackEvent('deep-args', { n: 60 }), {}, host);
    expect(reported(shallow)).toEqual({ outcome: {} });
    expect(host.calls).toHaveLength(1);
    await expectContained(arena, [result, shallow], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('APIs ctx does not have', () => {
  it('gives no path to another namespace or method — not through ctx, its frozen objects or the bridge globals: TK_PLUGIN_ERROR, the host saw nothing', async () => {
    const host = new FakeHost({ permissions: ['storage:kv', 'points:write', 'network:fetch'] });
    const { result, isolatesBefore } = await attack('unknown-api', host);
    const error = expectEventFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.message).toMatch(/TypeError/);
    expect(reported(result)).toEqual({
      outcomes: {
        'wallet.grant': 'TypeError',
        fetch: 'TypeError',
        'kv.drop': 'TypeError',
        'kv.__proto__': 'TypeError',
        'add-namespace': 'TypeError',
        'add-method': 'TypeError',
        'bridge-global': 'TypeError',
      },
      keys: ['appointments', 'guides', 'inventory', 'kv', 'log', 'members', 'merchantId', 'orders', 'points', 'service', 'settings', 'storedValue', 'vouchers'],
      kvKeys: ['delete', 'get', 'increment', 'set'],
    });
    expect(host.calls).toEqual([]);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('another tenant’s ids', () => {
  it('routes keys and options naming another install only to the caller’s own host: the other tenant’s storage sees nothing', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('other-tenant', host, { target: TENANT_INSTALL, key: 'orders' });
    // Harmless by design: a key is only a name inside the caller's own storage (the host scopes by install).
    expectEventOk(result);
    const seen = reported<{ seen: Record<string, unknown>; written: unknown; merchantId: string }>(result);
    expect(seen.merchantId).toBe(ATTACKER_MERCHANT);
    expect(Object.values(seen.seen).every((outcome) => JSON.stringify(outcome) === '{}')).toBe(true);
    expect(host.calls.map((call) => call.args[0])).toContain(`${TENANT_INSTALL}:orders`);
    expect(host.calls.at(-1)?.args[2]).toEqual({ installId: TENANT_INSTALL, merchantId: TENANT_INSTALL });
    expectTenantUntouched();
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
    expectTenantUntouched();
  });
});

describe('non-idempotent retries', () => {
  /** A host that keeps idempotency keys like the real one: same key and payload → first result; other payload → TK_CONFLICT. */
  function idempotentHost(): FakeHost {
    const claimed = new Map<string, { payload: string; result: unknown }>();
    return new FakeHost({
      answer: (call, kv) => {
        const idempotencyKey = (call.args[2] as { idempotencyKey?: string } | undefined)?.idempotencyKey;
        if (idempotencyKey === undefined) return kv();
        const payload = JSON.stringify([call.method, call.args.slice(0, 2)]);
        const prior = claimed.get(idempotencyKey);
        if (prior) {
          if (prior.payload !== payload) throw new TkError('TK_CONFLICT', `idempotency key "${idempotencyKey}" was already used with a different ${call.method}`, { details: { hostSecret: 'row 7' } });
          return prior.result;
        }
        const result = kv();
        claimed.set(idempotencyKey, { payload, result });
        return result;
      },
    });
  }

  it('passes the idempotency key through unchanged: the same payload gets the first result, another payload TK_CONFLICT, the counter moves once', async () => {
    const host = idempotentHost();
    const { result, isolatesBefore } = await attack('idempotent', host, { key: 'stock', idempotencyKey: 'evt-fixed' });
    expectEventOk(result);
    expect(reported(result)).toEqual({ first: { value: 5 }, again: { value: 5 }, changed: { code: 'TK_CONFLICT' }, value: { value: 5 } });
    expect(host.kv.get('stock')).toBe(5);
    expect(host.calls.slice(0, 3).map((call) => call.args[2])).toEqual([{ idempotencyKey: 'evt-fixed' }, { idempotencyKey: 'evt-fixed' }, { idempotencyKey: 'evt-fixed' }]);
    expect(JSON.stringify(result)).not.toContain('row 7');
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('fails a handler that lets TK_CONFLICT propagate: TK_PLUGIN_ERROR naming TK_CONFLICT, nothing of the host’s details', async () => {
    const host = idempotentHost();
    const { result, isolatesBefore } = await attack('idempotent-conflict-uncaught', host, { key: 'stock', idempotencyKey: 'evt-fixed' });
    const error = expectEventFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.details).toMatchObject({ hostErrorCode: 'TK_CONFLICT' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('row 7');
    expect(host.kv.get('stock')).toBe(1);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('calls outside the invocation', () => {
  it('refuses a context kept from an earlier invocation with TK_PERMISSION_DENIED; neither host sees the call', async () => {
    const keeper = new FakeHost();
    expectEventOk(await arena.attacker.handleEvent(attackEvent('keep-context'), {}, keeper));
    const later = new FakeHost();
    const { result, isolatesBefore } = await attack('use-kept', later);
    expect(reported(result)).toEqual({ outcome: { code: 'TK_PERMISSION_DENIED' } });
    expect(keeper.calls).toEqual([]);
    expect(later.calls).toEqual([]);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('refuses 20,000 calls through a kept context, fired without awaiting; neither host sees one', async () => {
    const keeper = new FakeHost();
    expectEventOk(await arena.attacker.handleEvent(attackEvent('keep-context'), {}, keeper));
    const later = new FakeHost();
    const { result, isolatesBefore } = await attack('use-kept-flood', later, { n: 20_000 });
    expectEventOk(result);
    expect(keeper.calls).toEqual([]);
    expect(later.calls).toEqual([]);
    expect(result.measurements.hostCalls).toBe(0);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('refuses a call started by the answer to a call left in flight after the handler returned; the host sees only the first', async () => {
    const host = new FakeHost({ answer: async (_call, kv) => kv() });
    const { result, isolatesBefore } = await attack('call-after-close', host);
    expectEventOk(result);
    const reportedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(host.calls.map((call) => `${call.method}:${String(call.args[0])}`)).toEqual(['get:first']);
    expect(host.calls.every((call) => call.at < reportedAt)).toBe(true);
    expect(host.kv.has('second')).toBe(false);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });

  it('counts a call made by microtasks the handler left behind as part of the invocation, finished before it reports', async () => {
    const host = new FakeHost();
    const { result, isolatesBefore } = await attack('late-call', host);
    const reportedAt = performance.now();
    expectEventOk(result);
    expect(host.calls.map((call) => call.args[0])).toEqual(['late']);
    expect(host.calls[0]!.at).toBeLessThan(reportedAt);
    expect(result.measurements.hostCalls).toBe(1);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});
