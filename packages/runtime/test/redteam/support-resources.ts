// Shared helpers of the red-team families cpu, memory and host-api: an arena (one runtime with an
// attacker and a well-behaved second tenant, `redteam-tenant`, loaded under their own installIds), an
// in-memory event host, a child process for the bombs V8 may answer by aborting the whole process, and
// the checks every attack ends with: (2) the process is up, (3) the other tenant is served correctly,
// (4) nothing leaked — and the attacker itself is served again, on a rebuilt isolate where its own was
// disposed. (1), the error code, is each test's own assertion.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TkError, type Permission, type TongkitEvent } from '@tongkit/sdk';
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

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../../..');

export const ATTACKER_INSTALL = 'install-attacker';
export const TENANT_INSTALL = 'install-tenant';
export const TENANT_MERCHANT = 'merchant-tenant';
export const ATTACKER_MERCHANT = 'merchant-attacker';

/** What the tenant must answer for the gold fixture input (¥6,000 of 12-month spend). */
export const TENANT_GOLD = { tierId: 'gold', reason: '12-month spend ¥6,000.00' };

// --- what must never happen while an attack runs -------------------------------------------------

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

// --- an in-memory host ---------------------------------------------------------------------------

export interface HostCall {
  namespace: string;
  method: string;
  args: unknown[];
  /** Bytes of the arguments as the host received them (JSON). */
  bytes: number;
  /** When the host received it (performance.now()). */
  at: number;
}

/** An in-memory event host: KV in a Map, every call recorded, answers overridable. */
export class FakeHost implements EventHost {
  readonly calls: HostCall[] = [];
  readonly kv = new Map<string, unknown>();
  readonly merchantId: string;
  readonly permissions: Permission[];
  answer: ((call: HostCall, kv: () => unknown) => unknown) | undefined;

  constructor(options: { permissions?: Permission[]; merchantId?: string; answer?: (call: HostCall, kv: () => unknown) => unknown } = {}) {
    this.permissions = options.permissions ?? ['storage:kv'];
    this.merchantId = options.merchantId ?? ATTACKER_MERCHANT;
    this.answer = options.answer;
  }

  async call(namespace: string, method: string, args: unknown[]): Promise<unknown> {
    const call = { namespace, method, args, bytes: Buffer.byteLength(JSON.stringify(args)), at: performance.now() };
    this.calls.push(call);
    if (this.answer) return this.answer(call, () => this.kvAnswer(call));
    return this.kvAnswer(call);
  }

  /** The largest arguments the host ever received, in bytes. */
  largestCallBytes(): number {
    return Math.max(0, ...this.calls.map((call) => call.bytes));
  }

  private kvAnswer(call: HostCall): unknown {
    return answerFromMemoryKv(this.kv, call);
  }
}

// --- inputs and results --------------------------------------------------------------------------

/** A member.tier.compute input whose member ID picks the attack and whose growthValue sizes it. */
export async function attackInput(memberId: string, size = 0): Promise<TierInput> {
  const input = await tierInput(memberId);
  input.member.growthValue = size;
  return input;
}

let nextEventId = 0;
/** An order.paid event: `data.case` picks the attack. */
export function attackEvent(kase: string, data: Record<string, unknown> = {}): TongkitEvent {
  nextEventId += 1;
  return { id: `evt-redteam-${nextEventId}`, type: 'order.paid', occurredAt: '2026-11-25T08:00:00.000Z', data: { case: kase, ...data } };
}

/** Asserts an event result failed with `code` and returns its error. */
export function expectEventFailure(result: EventResult, code: string): TkError {
  if (result.ok) throw new Error(`expected ${code}, but the handler succeeded; logs: ${JSON.stringify(result.logs).slice(0, 2000)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

export function expectEventOk(result: EventResult): void {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
}

/** The JSON log line an attack fixture reported (the last one by default). */
export function reported<T = Record<string, unknown>>(result: InvocationResult | EventResult, index = -1): T {
  const lines = result.logs.filter((line) => line.message.startsWith('{'));
  const line = lines.at(index);
  if (!line) throw new Error(`no reported line; logs: ${JSON.stringify(result.logs).slice(0, 2000)}`);
  return JSON.parse(line.message) as T;
}

// --- the arena -----------------------------------------------------------------------------------

/** One runtime shared by an attack family: the attacker and the other tenant, each its own install. */
export interface Arena {
  runtime: Runtime;
  attacker: LoadedPlugin;
  tenant: LoadedPlugin;
  /** The tenant's own host: its KV, its merchant. */
  tenantHost: FakeHost;
  dispose(): Promise<void>;
}

/**
 * Loads `attackerFixture` and the tenant into a new runtime and warms every isolate both use, so that
 * an attack that costs the tenant its isolate shows up as a cold start. Attacker fixtures do nothing
 * for the attack `none`.
 */
export async function openArena(attackerFixture: string, options: RuntimeOptions = {}): Promise<Arena> {
  const runtime = createRuntime(options);
  const [attackerBuild, tenantBuild] = await Promise.all([buildFixture(attackerFixture), buildFixture('redteam-tenant')]);
  const tenant = await runtime.load(tenantBuild.bundle, { installId: TENANT_INSTALL });
  const attacker = await runtime.load(attackerBuild.bundle, { installId: ATTACKER_INSTALL });
  const arena: Arena = { runtime, attacker, tenant, tenantHost: new FakeHost({ merchantId: TENANT_MERCHANT }), dispose: () => runtime.dispose() };
  await expectTenantServed(arena);
  // The attacker's isolates too: the isolates alive before an attack are then its and the tenant's.
  if (attacker.manifest.extensions.includes('member.tier.compute')) {
    const warm = await attacker.invoke('member.tier.compute', await attackInput('none'));
    if (!warm.ok) throw new Error(`the attacker failed to warm up: ${warm.error.code}: ${warm.error.message}`);
  }
  if (attacker.manifest.events.includes('order.paid')) expectEventOk(await attacker.handleEvent(attackEvent('none'), {}, new FakeHost()));
  return arena;
}

// --- the checks ----------------------------------------------------------------------------------

/** (2) The process is up: this process, its event loop turning, nothing unhandled. */
export async function expectProcessUp(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(process.kill(process.pid, 0)).toBe(true);
  expect(process.exitCode ?? 0).toBe(0);
  expect(unhandled, `unhandled rejections: ${unhandled.map(String).join('; ')}`).toEqual([]);
}

/**
 * (3) The other tenant, in the same runtime, answers a normal invocation and a normal event correctly,
 * on the isolates it had before the attack (the attack cost it nothing).
 */
export async function expectTenantServed(arena: Arena): Promise<void> {
  const result = await arena.tenant.invoke('member.tier.compute', await tierInput());
  if (!result.ok) throw new Error(`the other tenant failed: ${result.error.code}: ${result.error.message}`);
  expect(result.output).toEqual(TENANT_GOLD);

  const before = Number(arena.tenantHost.kv.get('orders') ?? 0);
  const handled = await arena.tenant.handleEvent(attackEvent('tenant'), {}, arena.tenantHost);
  expectEventOk(handled);
  expect(reported(handled)).toEqual({ orders: before + 1, merchantId: TENANT_MERCHANT });
}

const HOST_MARKERS = ['/work/', '/home/', '/tmp/', 'node_modules', 'node:internal', 'file://', 'plugin-isolate', 'event-invocation', 'isolated-vm', 'dist/index.js'];

/** (4) Nothing of the host (file paths, module names, host stacks) in what the attack produced. */
export function expectNoLeak(...results: unknown[]): void {
  for (const text of stringsOf(results)) {
    for (const marker of HOST_MARKERS) expect(text.includes(marker), `leaked ${JSON.stringify(marker)} in ${JSON.stringify(text.slice(0, 300))}`).toBe(false);
  }
}

/** How the attacker's own isolate came out of the attack. */
export type Aftermath = 'rebuilt' | 'kept' | 'either';

export interface ContainedOptions {
  /** What the attacker's next call must find: a rebuilt isolate (its own was disposed), the same one, or either. */
  attacker?: Aftermath;
  /** The attacker's next call: an extension call (default) or an event. */
  via?: 'invoke' | 'event';
  /** The isolates alive before the attack: after it, and after the attacker was served again, no more. */
  isolatesBefore?: number;
}

/**
 * (2) + (3) + (4), then the attacker itself is served again: its next normal call succeeds — on a new
 * isolate when the attack cost it its own.
 */
export async function expectContained(arena: Arena, results: Array<InvocationResult | EventResult>, options: ContainedOptions = {}): Promise<void> {
  expectNoLeak(...results.map((result) => ({ error: result.ok ? undefined : result.error, logs: result.logs })));
  await expectProcessUp();
  await expectTenantServed(arena);

  const aftermath = options.attacker ?? 'rebuilt';
  let isolate: 'warm' | 'cold';
  if (options.via === 'event') {
    const next = await arena.attacker.handleEvent(attackEvent('none'), {}, new FakeHost());
    expectEventOk(next);
    isolate = next.measurements.isolate;
  } else {
    const next = await arena.attacker.invoke('member.tier.compute', await attackInput('none'));
    if (!next.ok) throw new Error(`the attacker's next call failed: ${next.error.code}: ${next.error.message}`);
    expect(next.output.tierId).toBe('regular');
    isolate = next.measurements.isolate;
  }
  if (aftermath !== 'either') expect(isolate, 'the attacker\'s next call').toBe(aftermath === 'rebuilt' ? 'cold' : 'warm');

  const stats = arena.runtime.stats();
  if (options.isolatesBefore !== undefined) expect(stats.isolatesAlive, 'isolates alive after the attack').toBeLessThanOrEqual(options.isolatesBefore);
  // No disposed isolate lingers in the cache with its heap: what is left is a few small warm isolates.
  expect(stats.isolateBytes).toBeLessThan(256 * 1024 * 1024);
}

// --- bombs that V8 may answer by aborting the process --------------------------------------------

/** How a bomb run in a child process ended. */
export interface ChildOutcome {
  /** `contained`: the call came back with the expected code and the tenant was served; `aborted`: SIGABRT. */
  outcome: 'contained' | 'aborted' | 'other';
  code: string | undefined;
  /** The error message the attack came back with, when it came back. */
  message: string | undefined;
  tenant: string | undefined;
  /** The child's peak resident memory, when it got to the end. */
  maxRssBytes: number | undefined;
  signal: NodeJS.Signals | null;
  status: number | null;
  stdout: string;
  stderr: string;
  millis: number;
}

/** The child: loads both bundles into one default runtime, runs the attack, then serves the tenant. */
const CHILD_SOURCE = `
import { createRuntime } from '@tongkit/runtime';
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const runtime = createRuntime(job.options);
const tenant = await runtime.load(job.tenant, { installId: 'install-tenant' });
const attacker = await runtime.load(job.attacker, { installId: 'install-attacker' });
const host = { merchantId: 'merchant-attacker', permissions: ['storage:kv'], call: async () => null };
process.stdout.write('loaded\\n');
const result = job.event ? await attacker.handleEvent(job.event, {}, host) : await attacker.invoke('member.tier.compute', job.input);
process.stdout.write('returned ' + (result.ok ? 'ok' : result.error.code) + '\\n');
if (!result.ok) process.stdout.write('message ' + result.error.message.replace(/\\s+/g, ' ') + '\\n');
const served = await tenant.invoke('member.tier.compute', job.tenantInput);
process.stdout.write('tenant ' + (served.ok ? served.output.tierId : served.error.code) + '\\n');
process.stdout.write('maxrss ' + process.resourceUsage().maxRSS + '\\n');
`;

/**
 * Runs one attack in a child process with a default runtime. For bombs that V8 (isolated-vm 7.0.1,
 * Node 24) may turn into a fatal out-of-memory, which aborts the whole process as isolated-vm
 * prescribes: the test asserts abort-or-contained, never a hang. The child gets `deadlineMs` to end.
 */
export async function runBombInChild(job: {
  attacker: PluginBundle;
  tenant: PluginBundle;
  input?: TierInput;
  event?: TongkitEvent;
  options?: RuntimeOptions;
  deadlineMs?: number;
}): Promise<ChildOutcome> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', CHILD_SOURCE], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr = (stderr + data).slice(-4000)));
  const killer = setTimeout(() => child.kill('SIGKILL'), job.deadlineMs ?? 60_000);
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (status, signal) => resolve({ status, signal })));
  child.stdin.end(JSON.stringify({ attacker: job.attacker, tenant: job.tenant, input: job.input, event: job.event, options: job.options ?? {}, tenantInput: await tierInput() }));
  const { status, signal } = await exited;
  clearTimeout(killer);
  const code = /^returned (\S+)$/m.exec(stdout)?.[1];
  const tenant = /^tenant (\S+)$/m.exec(stdout)?.[1];
  const message = /^message (.*)$/m.exec(stdout)?.[1];
  const maxRss = /^maxrss (\d+)$/m.exec(stdout)?.[1];
  const outcome = signal === 'SIGABRT' ? 'aborted' : status === 0 && code !== undefined && code !== 'ok' && tenant === 'gold' ? 'contained' : 'other';
  return { outcome, code, message, tenant, maxRssBytes: maxRss === undefined ? undefined : Number(maxRss) * 1024, signal, status, stdout, stderr, millis: performance.now() - started };
}
