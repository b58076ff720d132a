// A rule evaluated in the sandbox gives what it gives on the host: templates/points-rules (json-logic-
// engine bundled into the plugin, run in isolated-vm) against @tongkit/sdk/rules in this Node process,
// over random orders and members, with rules covering every operator family of the dialect.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuleEvaluator } from '@tongkit/sdk/rules';
import { createRuntime, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';

const template = fileURLToPath(new URL('../../../templates/points-rules', import.meta.url));
let plugin: LoadedPlugin;
beforeAll(async () => {
  plugin = await createRuntime().load((await buildPlugin(template)).bundle);
}, 60_000);

const TIERS = ['regular', 'silver', 'gold', 'platinum'];
const RULES = [
  { label: 'base', when: true, points: { div: [{ var: 'order.spendFen' }, 100] } },
  { label: 'store furniture', when: { '==': [{ var: 'order.channel' }, 'store'] }, points: { reduce: [{ filter: [{ var: 'order.lines' }, { in: [{ var: 'category' }, ['furniture', 'bed']] }] }, { '+': [{ var: 'accumulator' }, { bps: [{ var: 'current.netFen' }, 150] }] }, 0] } },
  { label: 'gold', when: { tierAtLeast: [{ var: 'member.tierId' }, 'gold'] }, points: { bps: [{ var: 'order.spendFen' }, 10] } },
  { label: 'big', when: { '<=': [300_000, { var: 'order.totalFen' }, 10_000_000] }, points: { min: [{ mul: [{ var: ['order.lines.0.quantity', 0] }, 100] }, { '%': [{ var: 'order.totalFen' }, 997] }] } },
  { label: 'many', when: { some: [{ var: 'order.lines' }, { '>=': [{ var: 'quantity' }, 3] }] }, points: { max: [50, { '-': [{ div: [{ var: 'order.spendFen' }, 1000] }, 7] }] } },
  { label: 'no voucher', when: { none: [{ var: 'order.tenders' }, { '==': [{ var: 'method' }, 'voucher'] }] }, points: { if: [{ '!': [{ var: 'order.storeId' }] }, 5, 10] } },
];

const line = fc.record({ sku: fc.constantFrom('a', 'b', 'c'), category: fc.constantFrom('furniture', 'bed', 'food', ''), quantity: fc.integer({ min: 1, max: 5 }), netFen: fc.integer({ min: 0, max: 2_000_000 }) });
const input = fc.record({
  channel: fc.constantFrom('online' as const, 'store' as const),
  lines: fc.array(line, { minLength: 1, maxLength: 6 }),
  tender: fc.constantFrom('card', 'cash', 'voucher'),
  tierId: fc.constantFrom(null, ...TIERS, 'diamond'),
}).map(({ channel, lines, tender, tierId }) => {
  const totalFen = lines.reduce((sum, l) => sum + l.netFen, 0);
  return {
    order: { id: 'O-1', kind: 'goods' as const, channel, storeId: channel === 'store' ? 's1' : null, totalFen, spendFen: tender === 'voucher' ? 0 : totalFen, tenders: [{ method: tender, amountFen: totalFen }], lines, paidAt: '2026-12-01T08:00:00Z' },
    member: { id: 'm_1', tierId, pointsBalance: 0, growthValue: 0 },
    now: '2026-12-01T08:00:00Z',
  };
});

describe('rules in the sandbox and on the host', () => {
  it('give the same points for the same order', async () => {
    const evaluate = createRuleEvaluator({ tierRanks: Object.fromEntries(TIERS.map((id, rank) => [id, rank])) });
    await fc.assert(
      fc.asyncProperty(input, async (order) => {
        const applied = RULES.filter((rule) => evaluate(rule.when, order) === true);
        const expected = applied.reduce((sum, rule) => sum + Math.max(0, evaluate(rule.points, order) as number), 0);
        const result = await plugin.invoke('member.points.earn', order, { tiers: TIERS, earnRules: RULES });
        expect(result.ok ? result.output : result.error).toMatchObject({ points: expected, reason: applied.map((r) => r.label).join(' + ') || 'no rule applies' });
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
