#!/usr/bin/env -S node --no-node-snapshot
// bench/rules — low-code rules (issue 19): templates/points-rules with 20 rules (10 earn, 10 benefits)
// on a 10-line cart, through the sandbox (the runtime, in-process isolates, settings checked and copied
// in on every call, as the host calls it), beside the same rules evaluated by @tongkit/sdk/rules in
// plain Node in the same run: p50/p99 and calls/s, and the ratio.
//
//   node --no-node-snapshot bench/rules/bench.mjs [--quick] [--no-write]
//
// Reports; never fails on a missed target. (The HTTP half of bench/checkout — benefits resolved through
// the host with two merged installs — is not built yet.)
import { fileURLToPath } from 'node:url';
import { createRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { createRuleEvaluator } from '@tongkit/sdk/rules';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { fmtRatio, fmtUs, now, summarize } from '../lib/stats.mjs';

export const RULES_TARGET = { sandboxP99Ms: 5, ratioToNode: 3 };
const template = fileURLToPath(new URL('../../templates/points-rules', import.meta.url));
const TIERS = ['regular', 'silver', 'gold', 'platinum'];
const CATEGORIES = ['furniture', 'bed', 'lighting', 'textile', 'kitchen'];

/** 10 earn rules and 10 benefit rules of the kinds operators write: channel, category, tier, thresholds. */
function settings() {
  const earnRules = [{ label: 'base', when: true, points: { div: [{ var: 'order.spendFen' }, 100] } }];
  for (const [i, category] of CATEGORIES.entries()) {
    earnRules.push({
      label: `${category} in store`,
      when: { and: [{ '==': [{ var: 'order.channel' }, 'store'] }, { some: [{ var: 'order.lines' }, { '==': [{ var: 'category' }, category] }] }] },
      points: { reduce: [{ filter: [{ var: 'order.lines' }, { '==': [{ var: 'category' }, category] }] }, { '+': [{ var: 'accumulator' }, { bps: [{ var: 'current.netFen' }, 100 * (i + 1)] }] }, 0] },
    });
  }
  for (const tier of ['silver', 'gold', 'platinum']) earnRules.push({ label: `${tier}+`, when: { tierAtLeast: [{ var: 'member.tierId' }, tier] }, points: { bps: [{ var: 'order.spendFen' }, 10] } });
  earnRules.push({ label: 'big', when: { '>=': [{ var: 'order.totalFen' }, 300_000] }, points: 500 });
  const benefitRules = [];
  for (const category of CATEGORIES) benefitRules.push({ label: `${category} gold 5%`, when: { tierAtLeast: [{ var: 'member.tierId' }, 'gold'] }, class: 'tier_discount', kind: 'discount_bp', ratioBp: 500, categories: [category] });
  for (const [i, threshold] of [100_000, 200_000, 300_000, 500_000, 800_000].entries()) {
    benefitRules.push({ label: `over ${threshold}`, when: { and: [{ '>=': [{ var: 'cart.totalFen' }, threshold] }, { '==': [{ var: 'cart.channel' }, i % 2 ? 'store' : 'online'] }] }, class: i === 0 ? 'shipping' : 'coupon', kind: i === 0 ? 'free_shipping' : 'discount_fen', ...(i === 0 ? {} : { amountFen: 1000 * i }), categories: [] });
  }
  return { tiers: TIERS, earnRules, benefitRules };
}

const lines = Array.from({ length: 10 }, (_, i) => ({ sku: `sku-${i}`, category: CATEGORIES[i % CATEGORIES.length], quantity: 1 + (i % 3), netFen: 12_345 * (i + 1) }));
const totalFen = lines.reduce((s, l) => s + l.netFen, 0);
const earnInput = {
  order: { id: 'O-1', kind: 'goods', channel: 'store', storeId: 's1', totalFen, spendFen: totalFen, tenders: [{ method: 'card', amountFen: totalFen }], lines, paidAt: '2026-12-01T08:00:00Z' },
  member: { id: 'm_1', tierId: 'gold', pointsBalance: 0, growthValue: 0 },
  now: '2026-12-01T08:00:00Z',
};
const benefitsInput = {
  member: { id: 'm_1', tierId: 'gold', pointsBalance: 0, storedValueFen: 0, birthdayThisMonth: false },
  cart: { channel: 'store', storeId: 's1', totalFen, lines: lines.map((l, i) => ({ lineId: `l${i}`, sku: l.sku, category: l.category, quantity: 1, unitPriceFen: l.netFen, totalFen: l.netFen })) },
  tierBenefits: null,
  now: '2026-12-01T08:00:00Z',
};

/** The template's logic in plain Node, on the same evaluator: what the sandbox is compared with. */
function nodeEarn(evaluate, s, input) {
  const applied = s.earnRules.filter((r) => evaluate(r.when, input) === true);
  return applied.reduce((sum, r) => sum + Math.max(0, evaluate(r.points, input)), 0);
}
function nodeBenefits(evaluate, s, input) {
  return s.benefitRules.filter((r) => evaluate(r.when, input) === true).length;
}

async function timed(calls, fn) {
  const samples = new Array(calls);
  const started = now();
  for (let i = 0; i < calls; i++) {
    const t0 = now();
    await fn();
    samples[i] = Number(now() - t0);
  }
  return summarize(samples, Number(now() - started));
}

export async function runRulesBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const calls = quick ? 500 : 3_000;
  const startedAt = new Date().toISOString();
  const runtime = createRuntime();
  try {
    const plugin = await runtime.load((await buildPlugin(template)).bundle);
    const s = settings();
    const evaluate = createRuleEvaluator({ tierRanks: Object.fromEntries(TIERS.map((id, rank) => [id, rank])) });
    // The same answers first: a bench of two different computations would compare nothing.
    const earned = await plugin.invoke('member.points.earn', earnInput, s);
    if (!earned.ok || earned.output.points !== nodeEarn(evaluate, s, earnInput)) throw new Error(`bench/rules: the sandbox and Node disagree: ${JSON.stringify(earned.ok ? earned.output : earned.error)}`);
    const resolved = await plugin.invoke('member.benefits.resolve', benefitsInput, s);
    if (!resolved.ok || resolved.output.benefits.length !== nodeBenefits(evaluate, s, benefitsInput)) throw new Error('bench/rules: benefits disagree');
    log(`rules: ${calls} calls each, warm`);
    for (let i = 0; i < 200; i++) await plugin.invoke('member.points.earn', earnInput, s);
    const runs = {
      sandboxEarn: await timed(calls, () => plugin.invoke('member.points.earn', earnInput, s)),
      sandboxBenefits: await timed(calls, () => plugin.invoke('member.benefits.resolve', benefitsInput, s)),
      nodeEarn: await timed(calls, () => nodeEarn(evaluate, s, earnInput)),
      nodeBenefits: await timed(calls, () => nodeBenefits(evaluate, s, benefitsInput)),
    };
    const ratio = runs.sandboxEarn.p50Us / runs.nodeEarn.p50Us;
    const row = (label, r) => `  ${label.padEnd(34)} p50 ${fmtUs(r.p50Us).padStart(9)} · p99 ${fmtUs(r.p99Us).padStart(9)} · ${r.callsPerSec}/s`;
    await finishReport({
      name: 'rules',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'rules',
      lines: [
        `rules: templates/points-rules, ${s.earnRules.length} earn + ${s.benefitRules.length} benefit rules, a 10-line cart`,
        row('sandbox member.points.earn', runs.sandboxEarn),
        row('sandbox member.benefits.resolve', runs.sandboxBenefits),
        row('plain Node, same rules (earn)', runs.nodeEarn),
        row('plain Node, same rules (benefits)', runs.nodeBenefits),
        `  ratio sandbox ÷ plain Node (earn p50) ${fmtRatio(ratio)} — the sandbox's figure includes the call itself (input and settings copied in, output validated)`,
      ],
      targets: [
        { target: `sandbox p99 ≤ ${RULES_TARGET.sandboxP99Ms} ms (earn and benefits)`, value: `${fmtUs(runs.sandboxEarn.p99Us)} / ${fmtUs(runs.sandboxBenefits.p99Us)}`, verdict: verdict(Math.max(runs.sandboxEarn.p99Us, runs.sandboxBenefits.p99Us) <= RULES_TARGET.sandboxP99Ms * 1000) },
        { target: `rules in the sandbox ≤ ${RULES_TARGET.ratioToNode}× plain Node (earn p50)`, value: fmtRatio(ratio), verdict: verdict(ratio <= RULES_TARGET.ratioToNode) },
      ],
      results: { calls, rules: { earn: s.earnRules.length, benefits: s.benefitRules.length }, runs, ratio },
    });
  } finally {
    await runtime.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRulesBench();
