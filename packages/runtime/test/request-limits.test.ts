// What the runtime is handed before any plugin runs — input, settings, events, manifests — and what it
// hands back about a plugin's error, the same in-process and across the worker pool's process boundary:
// JSON nested deeper than 64 levels is refused with TK_VALIDATION (TK_MANIFEST_INVALID for a manifest)
// at the first too-deep value, never a hang or a leaked concurrency slot; input and settings over their
// limits are refused before they reach a worker; an error of any length stays TK_PLUGIN_ERROR; and the
// guest sees UTC and a fixed locale, not the host's.
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TkError } from '@tongkit/sdk';
import { createRuntime, createWorkerRuntime, type EventResult, type PluginBundle, type Runtime, type WorkerRuntime, type WorkerRuntimeOptions } from '@tongkit/runtime';
import { TempPlugins, buildFixture, expectFailure, expectOutput, rejectionOf, tierInput } from './helpers.js';
import { FakeHost, TENANT_GOLD, attackEvent, expectEventOk } from './redteam/support-resources.js';

const temp = new TempPlugins();
const runtimes: Runtime[] = [];
let tenantBundle: PluginBundle;
let probeBundle: PluginBundle;

/** A probe whose member.tier.compute reports the clock and locale it sees, or throws a 100,000-character error (member id `long-error`). */
const PROBE_SOURCE = `
import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'env-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      if (input.member.id === 'long-error') throw new Error('e'.repeat(100_000));
      const at = new Date(input.now);
      const seen = [at.getHours(), at.getTimezoneOffset(), Intl.DateTimeFormat().resolvedOptions().timeZone, Intl.NumberFormat().resolvedOptions().locale, (1234.5).toLocaleString()];
      return { tierId: 'gold', reason: seen.join(' ') };
    },
  },
  events: {
    'order.paid': async () => {
      throw new Error('e'.repeat(100_000));
    },
  },
});
`;

function inProcess(): Runtime {
  const runtime = createRuntime();
  runtimes.push(runtime);
  return runtime;
}

function pool(options: WorkerRuntimeOptions = {}): WorkerRuntime {
  const runtime = createWorkerRuntime({ workers: 1, quarantineWorkers: 1, apartWorkers: 1, ...options });
  runtimes.push(runtime);
  return runtime;
}

/** `levels` levels of nested arrays: `[[[…]]]`. */
function nested(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

/** The JSON Pointer of the 65th level under `prefix` (itself at `prefixDepth`) in {@link nested} arrays. */
/** The path of the first level past `limit` (64 for requests; manifests allow 256) in `nested()` under `prefix`. */
const firstTooDeep = (prefix: string, prefixDepth: number, limit = 64) => prefix + '/0'.repeat(limit + 1 - prefixDepth);

const DEEP = 5_000;

beforeAll(async () => {
  const [tenant, probe] = await Promise.all([buildFixture('redteam-tenant'), temp.build(PROBE_SOURCE)]);
  tenantBundle = tenant.bundle;
  probeBundle = probe.bundle;
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.dispose()));
});
afterAll(async () => {
  await temp.cleanup();
});

const kinds = [
  ['in-process', () => inProcess()],
  ['worker pool', () => pool()],
] as const;

describe('JSON nested deeper than 64 levels', () => {
  describe.each(kinds)('%s', (_kind, open) => {
    it('refuses 5,000 levels of input with TK_VALIDATION at the first value too deep', async () => {
      const plugin = await open().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
      const input = { ...(await tierInput()), deep: nested(DEEP) };
      const error = expectFailure(await plugin.invoke('member.tier.compute', input), 'TK_VALIDATION');
      expect(error.path).toBe(firstTooDeep('/deep', 2));
      expect(error.message).toMatch(/^objects and arrays in the input nest deeper than 64 levels at \/deep\/0\/0/);
      expect(error.fault).toBe('user');
    });

    it('refuses 5,000 levels of settings with TK_VALIDATION at the first value too deep', async () => {
      const plugin = await open().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
      const error = expectFailure(await plugin.invoke('member.tier.compute', await tierInput(), { goldAtFen: nested(DEEP) }), 'TK_VALIDATION');
      expect(error.path).toBe(firstTooDeep('/goldAtFen', 2));
      expect(error.message).toMatch(/^objects and arrays in the settings nest deeper than 64 levels/);
      const thrown = (() => {
        try {
          plugin.resolveSettings({ goldAtFen: nested(DEEP) });
        } catch (caught) {
          return caught as TkError;
        }
        throw new Error('resolveSettings accepted 5,000 levels');
      })();
      expect([thrown.code, thrown.path]).toEqual(['TK_VALIDATION', firstTooDeep('/goldAtFen', 2)]);
    });

    it('refuses an event with 5,000 levels of data, or with such settings, with TK_VALIDATION', async () => {
      const plugin = await open().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
      const host = new FakeHost({ merchantId: 'brand-a' });
      const deepEvent = await plugin.handleEvent(attackEvent('tenant', { deep: nested(DEEP) }), {}, host);
      expect(eventError(deepEvent)).toMatchObject({ code: 'TK_VALIDATION', path: firstTooDeep('/data/deep', 3) });
      const deepSettings = await plugin.handleEvent(attackEvent('tenant'), { goldAtFen: nested(DEEP) }, host);
      expect(eventError(deepSettings)).toMatchObject({ code: 'TK_VALIDATION', path: firstTooDeep('/goldAtFen', 2) });
      expect(host.calls).toEqual([]);
    });

    it('refuses a manifest whose settings schema carries a 5,000-level annotation with TK_MANIFEST_INVALID', async () => {
      const manifest = structuredClone(tenantBundle.manifest) as unknown as { settings: { properties: { goldAtFen: Record<string, unknown> } } };
      manifest.settings.properties.goldAtFen.examples = nested(DEEP);
      const error = await rejectionOf(open().load({ ...tenantBundle, manifest: manifest as unknown as PluginBundle['manifest'] }));
      expect(error).toBeInstanceOf(TkError);
      expect([error.code, error.path]).toEqual(['TK_MANIFEST_INVALID', firstTooDeep('/settings/properties/goldAtFen/examples', 5, 256)]);
    });

    it('still refuses a value that contains itself as not JSON', async () => {
      const plugin = await open().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
      const input: Record<string, unknown> = { ...(await tierInput()) };
      input.self = input;
      const error = expectFailure(await plugin.invoke('member.tier.compute', input), 'TK_VALIDATION');
      expect(error.message).toMatch(/^the input cannot be JSON: a value contains itself at \/self\/self/);
    });
  });

  it('gives the same answer in-process and across the pool', async () => {
    const [local, remote] = await Promise.all([inProcess().load(tenantBundle, { installId: 'i1' }), pool().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' })]);
    const input = { ...(await tierInput()), deep: { list: nested(DEEP) } };
    const [a, b] = [await local.invoke('member.tier.compute', input), await remote.invoke('member.tier.compute', input)];
    expect(expectFailure(b, 'TK_VALIDATION').toJSON()).toEqual(expectFailure(a, 'TK_VALIDATION').toJSON());
  });

  it('serves the tenant right after 20 such calls with a concurrency of 16: no slot is held', async () => {
    const plugin = await pool({ tenants: { concurrency: 16 } }).load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const input = await tierInput();
    const host = new FakeHost({ merchantId: 'brand-a' });
    const refused = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 3 === 0
          ? plugin.invoke('member.tier.compute', { ...input, deep: nested(DEEP) })
          : i % 3 === 1
            ? plugin.invoke('member.tier.compute', input, { goldAtFen: nested(DEEP) })
            : plugin.handleEvent(attackEvent('tenant', { deep: nested(DEEP) }), {}, host),
      ),
    );
    expect(refused.map((result) => (result.ok ? 'ok' : result.error.code))).toEqual(new Array(20).fill('TK_VALIDATION'));
    expect(expectOutput(await plugin.invoke('member.tier.compute', input, { goldAtFen: 500_000 }))).toEqual(TENANT_GOLD);
    expectEventOk(await plugin.handleEvent(attackEvent('tenant'), {}, host));
  });
});

describe('a request the worker channel cannot carry', () => {
  /** Settings that pass every check, then refuse to be serialised again: as if they changed after the checks. */
  function settingsThatTurnUnsendable(): object {
    let serialised = 0;
    return Object.defineProperty({}, 'toJSON', {
      value: () => {
        serialised++;
        if (serialised > 1) throw new Error('these settings changed their mind');
        return {};
      },
    });
  }

  it('is answered at once with TK_VALIDATION, and its slot released (20 of them, then a normal call, with a concurrency of 16)', async () => {
    const plugin = await pool({ tenants: { concurrency: 16 } }).load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const input = await tierInput();
    // One after another: a slot kept by any of them would make the 17th TK_RATE_LIMITED.
    for (let i = 0; i < 20; i++) {
      const result = await plugin.invoke('member.tier.compute', input, settingsThatTurnUnsendable());
      expect(expectFailure(result, 'TK_VALIDATION').message).toMatch(/could not be sent to the sandbox worker: these settings changed their mind/);
    }
    expect(expectOutput(await plugin.invoke('member.tier.compute', input, { goldAtFen: 500_000 }))).toEqual(TENANT_GOLD);
  });
});

describe('sizes checked before a worker is involved', () => {
  const escapedWorker = fileURLToPath(new URL('./support/escaped-worker.mjs', import.meta.url));

  it('refuses an input over the point\'s limit in the pool itself (a worker would answer anything)', async () => {
    // The escaped worker forges an output for any call it receives: a refusal proves the call never went.
    const plugin = await pool({ workerEntry: escapedWorker }).load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const input = { ...(await tierInput()), padding: 'x'.repeat(1024 * 1024) };
    const result = await plugin.invoke('member.tier.compute', input);
    const error = expectFailure(result, 'TK_VALIDATION');
    expect(error.details).toMatchObject({ limit: 128 * 1024 });
    expect(result.measurements.inputBytes).toBeGreaterThan(1024 * 1024);
  });

  describe.each([...kinds, ['escaped worker', () => pool({ workerEntry: escapedWorker })]] as const)('settings over 64 KB (%s)', (_kind, open) => {
    it('are refused with TK_VALIDATION blaming the caller, not the plugin', async () => {
      const plugin = await open().load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
      const settings = { goldAtFen: 500_000, note: 'x'.repeat(64 * 1024) };
      const error = expectFailure(await plugin.invoke('member.tier.compute', await tierInput(), settings), 'TK_VALIDATION');
      expect(error.fault).toBe('user');
      expect(error.path).toBe('/');
      expect(error.message).toMatch(/^the settings are \d+ bytes of JSON, over the 65536-byte limit/);
      expect(error.details).toMatchObject({ limit: 64 * 1024 });
      expect(() => plugin.resolveSettings(settings)).toThrow(/over the 65536-byte limit/);
    });
  });
});

describe('a plugin error of any length', () => {
  describe.each(kinds)('%s', (_kind, open) => {
    it('is TK_PLUGIN_ERROR with its message cut, not an output too large', async () => {
      const plugin = await open().load(probeBundle, { installId: 'i1', tenant: 'brand-a' });
      const error = expectFailure(await plugin.invoke('member.tier.compute', await tierInput('long-error')), 'TK_PLUGIN_ERROR');
      expect(error.message).toMatch(/^member\.tier\.compute threw Error: e{2000}… \(98000 more characters\)/);
      expect(error.message.length).toBeLessThan(3_000);
      // The stack keeps its frames, mapped to the plugin's source.
      expect(String(error.details?.['stack'])).toMatch(/src\/index\.ts/);

      const event = await plugin.handleEvent(attackEvent('tenant'), {}, new FakeHost({ merchantId: 'brand-a' }));
      const eventFailure = eventError(event);
      expect(eventFailure.code).toBe('TK_PLUGIN_ERROR');
      expect(eventFailure.message).toMatch(/^order\.paid handler threw Error: e{2000}… \(98000 more characters\)$/);
    });
  });
});

describe('time zone and locale', () => {
  const saved = { TZ: process.env['TZ'], LANG: process.env['LANG'], LC_ALL: process.env['LC_ALL'] };
  beforeAll(() => Object.assign(process.env, { TZ: 'Asia/Kolkata', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' }));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('starts the sandbox workers in UTC with a fixed locale, whatever the host\'s', async () => {
    const plugin = await pool({ workerEntry: fileURLToPath(new URL('./support/env-worker.mjs', import.meta.url)) }).load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    expect(expectOutput(await plugin.invoke('member.tier.compute', await tierInput())).reason).toBe('UTC C.UTF-8 C.UTF-8');
  });

  it('shows a guest in the pool UTC and en-US', async () => {
    const plugin = await pool().load(probeBundle, { installId: 'i1', tenant: 'brand-a' });
    const input = await tierInput();
    const reason = expectOutput(await plugin.invoke('member.tier.compute', input)).reason;
    expect(reason).toBe(`${new Date(input.now).getUTCHours()} 0 UTC en-US 1,234.5`);
  });
});

function eventError(result: EventResult): TkError {
  if (result.ok) throw new Error('expected the event to fail');
  return result.error;
}
