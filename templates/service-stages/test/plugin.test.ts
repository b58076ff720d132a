// Runs the plugin through the real Tongkit sandbox (isolated-vm), exactly as the platform will.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, readFixtures, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { checkServicePlan, type ServiceStagePlan } from '@tongkit/sdk';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let plugin: LoadedPlugin;
let input: unknown;

beforeAll(async () => {
  const { bundle } = await buildPlugin(root);
  plugin = await createRuntime().load(bundle);
  input = (await readFixtures(`${root}/fixtures`, root))[0]!.input;
});

const stagesOf = async (settings?: Record<string, unknown>) => {
  const result = await plugin.invoke('service.plan', input, settings);
  if (!result.ok) throw new Error(result.error.message);
  return (result.output as { stages: ServiceStagePlan[] }).stages;
};

describe('service.plan', () => {
  it('splits into deposit, visit and final payment summing to 10000 basis points', async () => {
    const stages = await stagesOf();
    expect(stages.map((s) => s.ratioBps)).toEqual([1_000, 3_000, 6_000]);
    expect(checkServicePlan(stages, 800_000)).toEqual([]);
  });

  it('uses the merchant settings', async () => {
    expect((await stagesOf({ depositBps: 2_000, visitBps: 0 })).map((s) => s.ratioBps)).toEqual([2_000, 0, 8_000]);
  });

  it('refuses a deposit above 20 % in the settings', async () => {
    const result = await plugin.invoke('service.plan', input, { depositBps: 2_500 });
    expect(result.ok).toBe(false);
  });
});
