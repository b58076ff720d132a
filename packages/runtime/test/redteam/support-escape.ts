// Shared helpers of the red-team families escape, output and supply-chain: an arena (one runtime with a
// well-behaved second tenant loaded under its own installId), an in-memory event host, and the four
// checks every attack ends with — the right code (in the test), the host process still up, the other
// tenant still served correctly, and nothing leaked into what the attacker got back.
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { TkError, type EventName, type Manifest, type Permission, type TongkitEvent } from '@tongkit/sdk';
import {
  createRuntime,
  type EventHost,
  type EventResult,
  type InvocationResult,
  type LoadedPlugin,
  type PluginBundle,
  type Runtime,
  type RuntimeOptions,
} from '@tongkit/runtime';
import { answerFromMemoryKv, buildFixture, stringsOf, tierInput, type TierInput } from '../helpers.js';

/** The other tenant's secret setting: must never show up in anything an attacker gets back. */
export const TENANT_SECRET = 'tenant-b-secret-5c1e9f';
/** The installId of the other tenant. */
export const TENANT_INSTALL = 'tenant-b';
/** The invocation time of attacks: far from the real clock, so a leaked real time stands out. */
export const ATTACK_NOW = '2001-02-03T04:05:06Z';
export const ATTACK_NOW_MS = Date.parse(ATTACK_NOW);

/** A runtime shared by an attack family, with the other tenant (`redteam-bystander`) loaded in it. */
export interface Arena {
  runtime: Runtime;
  tenant: LoadedPlugin;
  /** Loads a fixture plugin (`test/plugins/NAME`) into the arena's runtime. */
  load(name: string, installId: string): Promise<LoadedPlugin>;
  /** Disposes the runtime (afterAll). */
  dispose(): Promise<void>;
}

export async function createArena(options: RuntimeOptions = {}): Promise<Arena> {
  const runtime = createRuntime(options);
  const tenantBundle = (await buildFixture('redteam-bystander')).bundle;
  const tenant = await runtime.load(tenantBundle, { installId: TENANT_INSTALL });
  return {
    runtime,
    tenant,
    load: async (name, installId) => runtime.load((await buildFixture(name)).bundle, { installId }),
    dispose: () => runtime.dispose(),
  };
}

/** A member.tier.compute input for an attack: the member ID picks the attack, `now` is {@link ATTACK_NOW}. */
export async function attackInput(memberId: string, edit?: (input: TierInput) => void): Promise<TierInput> {
  const input = await tierInput(memberId);
  input.now = ATTACK_NOW;
  edit?.(input);
  return input;
}

let nextEventId = 0;
/** An event for an attack: `data.case` picks the attack, `occurredAt` is {@link ATTACK_NOW}. */
export function attackEvent(kase: string, data: Record<string, unknown> = {}, type: EventName = 'order.paid'): TongkitEvent {
  nextEventId += 1;
  return { id: `evt-redteam-${nextEventId}`, type, occurredAt: ATTACK_NOW, data: { case: kase, ...data } };
}

export interface HostCall {
  namespace: string;
  method: string;
  args: unknown[];
}

/** An in-memory event host: KV in a Map, every call recorded, answers overridable. */
export class RecordingHost implements EventHost {
  readonly calls: HostCall[] = [];
  readonly kv = new Map<string, unknown>();
  readonly merchantId: string;
  readonly permissions: Permission[];
  answer: ((call: HostCall, kv: () => unknown) => unknown) | undefined;

  constructor(options: { permissions?: Permission[]; merchantId?: string; answer?: (call: HostCall, kv: () => unknown) => unknown } = {}) {
    this.permissions = options.permissions ?? ['storage:kv'];
    this.merchantId = options.merchantId ?? 'merchant-redteam';
    this.answer = options.answer;
  }

  async call(namespace: string, method: string, args: unknown[]): Promise<unknown> {
    const call = { namespace, method, args };
    this.calls.push(call);
    if (this.answer) return this.answer(call, () => this.kvAnswer(call));
    return this.kvAnswer(call);
  }

  private kvAnswer(call: HostCall): unknown {
    return answerFromMemoryKv(this.kv, call);
  }
}

export function expectEventOk(result: EventResult): void {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
}

export function expectEventFailure(result: EventResult, code: string): TkError {
  if (result.ok) throw new Error(`expected ${code}, but the handler succeeded; logs: ${JSON.stringify(result.logs)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

/** The JSON log line an attack fixture reported (the last one by default). */
export function report<T = Record<string, unknown>>(result: InvocationResult | EventResult, index = -1): T {
  const lines = result.logs.filter((line) => line.message.startsWith('{'));
  const line = lines.at(index);
  if (!line) throw new Error(`no report line; logs: ${JSON.stringify(result.logs).slice(0, 2000)}`);
  return JSON.parse(line.message) as T;
}

/**
 * (4) Nothing leaked into what the attacker's invocation produced (its output, logs, error): no other
 * tenant's secret, no host file or module path, no host object rendering, no real clock.
 */
export function expectNoLeak(...results: unknown[]): void {
  const now = Date.now();
  const realClock = [new Date(now).toISOString().slice(0, 13), String(now).slice(0, 8), String(now + 3_600_000).slice(0, 8)];
  const forbidden = [TENANT_SECRET, '/work/', 'node_modules', 'node:internal', 'file://', '[object process]', ...realClock];
  for (const text of stringsOf(results)) {
    for (const marker of forbidden) expect(text.includes(marker), `leaked ${JSON.stringify(marker)} in ${JSON.stringify(text.slice(0, 300))}`).toBe(false);
  }
}

/** What the host's own realm looks like before any attack: compared after each one. */
const hostObjectPrototype = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const hostArrayPrototype = Object.getOwnPropertyNames(Array.prototype).sort().join(',');

/** (2) The host process is up and its own realm is untouched (no pollution reached it). */
export async function expectHostUp(): Promise<void> {
  // The event loop still turns, and this process is the one the test started.
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(process.exitCode ?? 0).toBe(0);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(hostObjectPrototype);
  expect(Object.getOwnPropertyNames(Array.prototype).sort().join(',')).toBe(hostArrayPrototype);
}

/** (3) The other tenant, in the same runtime, answers a normal invocation and a normal event correctly. */
export async function expectTenantServed(arena: Arena): Promise<void> {
  const result = await arena.tenant.invoke('member.tier.compute', await tierInput(), { secret: TENANT_SECRET });
  if (!result.ok) throw new Error(`the other tenant failed: ${result.error.code}: ${result.error.message}`);
  expect(result.output).toEqual({ tierId: 'gold', reason: 'tenant ok' });

  const host = new RecordingHost();
  const event: TongkitEvent = { id: `evt-tenant-${++nextEventId}`, type: 'order.paid', occurredAt: ATTACK_NOW, data: {} };
  const handled = await arena.tenant.handleEvent(event, { secret: TENANT_SECRET }, host);
  expectEventOk(handled);
  expect(host.kv.get(`tenant:${event.id}`)).toEqual({ secret: TENANT_SECRET, clean: true });
}

/** (2) + (3) + (4): what every attack ends with. */
export async function expectContained(arena: Arena, ...results: unknown[]): Promise<void> {
  expectNoLeak(...results);
  await expectHostUp();
  await expectTenantServed(arena);
}

/** Renders a host-side value the way Node would log it: must not run guest code or show guest hooks. */
export function hostInspect(value: unknown): string {
  return inspect(value, { depth: 8, showHidden: true, customInspect: true });
}

/** A bundle with new code (and its manifest's sha256 and bytes updated to match), or a changed manifest. */
export function craftBundle(base: PluginBundle, changes: { code?: string; manifest?: (manifest: Manifest) => void; rehash?: boolean } = {}): PluginBundle {
  const manifest = structuredClone(base.manifest);
  const code = changes.code ?? base.code;
  if (changes.code !== undefined && changes.rehash !== false) {
    manifest.bundle.sha256 = createHash('sha256').update(code).digest('hex');
    manifest.bundle.bytes = Buffer.byteLength(code);
  }
  changes.manifest?.(manifest);
  return { manifest, code, ...(base.sourceMap === undefined ? {} : { sourceMap: base.sourceMap }) };
}
