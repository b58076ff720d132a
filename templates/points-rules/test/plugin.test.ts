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

async function fixture(name: string) {
  const found = (await readFixtures(`${root}/fixtures`, root)).find((f) => f.file.endsWith(name));
  return structuredClone(found!);
}

describe('member.points.earn', () => {
  it('adds the points of every rule that applies', async () => {
    const { input, settings } = await fixture('store-furniture.json');
    const result = await plugin.invoke('member.points.earn', input, settings);
    expect(result.ok && result.output).toMatchObject({ points: 6850, reason: '1 point per yuan + in-store furniture 2x + gold and above +10%' });
  });

  it('counts a rule that would take points away as 0', async () => {
    const { input } = await fixture('online-regular.json');
    const settings = { earnRules: [{ label: 'base', when: true, points: { div: [{ var: 'order.spendFen' }, 100] } }, { label: 'minus', when: true, points: -500 }] };
    const result = await plugin.invoke('member.points.earn', input, settings);
    expect(result.ok && result.output.points).toBe(3000);
  });

  it('refuses a rule with a float, naming where it is', async () => {
    const { input } = await fixture('online-regular.json');
    const settings = { earnRules: [{ label: 'x', when: true, points: { '*': [{ var: 'order.spendFen' }, 1.15] } }] };
    const result = await plugin.invoke('member.points.earn', input, settings);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ code: 'TK_VALIDATION', path: '/earnRules/0/points/*' });
  });
});

describe('member.benefits.resolve', () => {
  it('gives free delivery over ¥3,000 and nothing under it', async () => {
    const { input, settings } = await fixture('free-delivery.json');
    const over = await plugin.invoke('member.benefits.resolve', input, settings);
    expect(over.ok && over.output.benefits).toHaveLength(1);
    (input as { cart: { totalFen: number } }).cart.totalFen = 299_999;
    const under = await plugin.invoke('member.benefits.resolve', input, settings);
    expect(under.ok && under.output.benefits).toEqual([]);
  });
});
