// Runs the plugin through the real Tongkit sandbox (isolated-vm), exactly as the platform will.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, readFixtures, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let plugin: LoadedPlugin;

beforeAll(async () => {
  const { bundle } = await buildPlugin(root);
  plugin = await createRuntime().load(bundle);
});

async function member(online: number, store: number) {
  const [fixture] = await readFixtures(`${root}/fixtures`, root);
  const input = structuredClone(fixture!.input) as { member: { spend12mFen: { online: number; store: number } } };
  input.member.spend12mFen = { online, store };
  return input;
}

describe('member.tier.compute', () => {
  it('adds online and store spend', async () => {
    const result = await plugin.invoke('member.tier.compute', await member(60_000, 60_000));
    expect(result.ok && result.output.tierId).toBe('silver');
  });

  it('makes a member gold exactly at the threshold', async () => {
    const result = await plugin.invoke('member.tier.compute', await member(0, 500_000));
    expect(result.ok && result.output.tierId).toBe('gold');
  });

  it('uses the merchant settings', async () => {
    const result = await plugin.invoke('member.tier.compute', await member(0, 150_000), { silverAtFen: 200_000 });
    expect(result.ok && result.output.tierId).toBe('regular');
  });

  it('refuses settings that are not integers of fen', async () => {
    const result = await plugin.invoke('member.tier.compute', await member(0, 0), { goldAtFen: 12.5 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('TK_VALIDATION');
  });

  it('stays well inside its CPU budget', async () => {
    const result = await plugin.invoke('member.tier.compute', await member(1, 2));
    expect(result.measurements.cpuHeadroomMicros).toBeGreaterThan(0);
  });
});
