// `npm run demo`: the platform end to end, on this machine, with no setup.
//
// 1. A brand developer scaffolds, builds, tests and runs a member-tier plugin (the real `tongkit` binary).
// 2. A local host starts on an embedded PostgreSQL in its own temp folder (never another host's data).
// 3. The example plugins are deployed, reviewed and approved through the CLI.
// 4. A demo brand with two stores installs them, overrides a setting for one store, decides member
//    tiers through the host, and sends order events that a plugin tallies in its KV storage.
// 5. One member earns points online and in a store (omnichannel-points), goes up a tier (applied by the
//    host through member-tiers), and a partial refund takes points and tier back; the ledger is printed.
// 6. A hostile plugin blocks its sandbox worker: the host kills and replaces the worker, answers with the
//    point's fallback, and keeps serving the brand.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHost } from '@tongkit/host';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tongkitBin = join(repo, 'packages', 'cli', 'bin', 'run.mjs');
const workspace = mkdtempSync(join(tmpdir(), 'tongkit-demo-'));
// As root, PostgreSQL runs as the `postgres` user, which must be able to enter the data folder's parents.
chmodSync(workspace, 0o755);
const bold = (text) => `\x1b[1m${text}\x1b[0m`;
const dim = (text) => `\x1b[2m${text}\x1b[0m`;

function step(title) {
  process.stdout.write(`\n${bold(`▸ ${title}`)}\n`);
}
// Asynchronous on purpose: the host runs in this process and must keep serving while the CLI talks to it.
async function tongkit(args, env = {}) {
  process.stdout.write(`${dim(`$ tongkit ${args.join(' ')}`)}\n`);
  const child = spawn(process.execPath, [tongkitBin, ...args], {
    cwd: workspace,
    stdio: 'inherit',
    env: { ...process.env, TONGKIT_HOME: join(workspace, '.tongkit'), ...env },
  });
  const [status] = await once(child, 'exit');
  if (status !== 0) throw new Error(`tongkit ${args[0]} failed (exit ${status})`);
}

let host;
try {
  step('1. A brand developer scaffolds a member-tier plugin, builds, tests and runs it');
  await tongkit(['init', 'demo-tiers', '--template', 'member-tier', '--yes']);
  // Linked instead of `npm install`, so the demo works offline.
  symlinkSync(join(repo, 'node_modules'), join(workspace, 'demo-tiers', 'node_modules'), 'dir');
  await tongkit(['build', '-C', 'demo-tiers']);
  await tongkit(['test', '-C', 'demo-tiers']);
  await tongkit(['run', 'member.tier.compute', '--input', 'demo-tiers/fixtures/gold.json', '-C', 'demo-tiers']);

  step('2. A local host starts (embedded PostgreSQL in a temp folder)');
  const started = performance.now();
  host = await startHost({ dataDir: join(workspace, 'host') });
  const url = await host.listen(0);
  console.log(`host on ${url} in ${(performance.now() - started).toFixed(0)} ms (OpenAPI: ${url}/openapi.json)`);
  const as = (token) => ({ TONGKIT_HOST: url, TONGKIT_TOKEN: token });
  const api = async (token, method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };

  step('3. The developer deploys the examples; a reviewer reads the reports and approves');
  for (const example of ['member-tiers', 'order-tally', 'omnichannel-points']) {
    await tongkit(['deploy', '--submit', '-C', join(repo, 'examples', example)], as(host.tokens.developer));
  }
  await tongkit(['review', 'list'], as(host.tokens.reviewer));
  await tongkit(['review', 'show', 'member-tiers@1.0.0'], as(host.tokens.reviewer));
  await tongkit(['review', 'approve', 'member-tiers@1.0.0', '--comment', 'tiers and downgrade protection as specified'], as(host.tokens.reviewer));
  await tongkit(['review', 'approve', 'order-tally@1.0.0', '--comment', 'KV only, idempotent'], as(host.tokens.reviewer));
  await tongkit(['review', 'approve', 'omnichannel-points@1.0.0', '--comment', 'money-only earning, integer maths, idempotent welcome bonus'], as(host.tokens.reviewer));
  await tongkit(['versions', 'list'], as(host.tokens.developer));

  step('4. A brand with two stores installs both plugins and overrides a setting for one store');
  const admin = host.tokens.admin;
  await api(admin, 'POST', '/v1/admin/merchants', { id: 'acme-home', name: '艾可家居 Acme Home', tierId: 'standard' });
  await api(admin, 'POST', '/v1/admin/stores', { id: 'sh-jingan', merchantId: 'acme-home', name: '上海静安店', channel: 'store' });
  await api(admin, 'POST', '/v1/admin/stores', { id: 'bj-chaoyang', merchantId: 'acme-home', name: '北京朝阳店', channel: 'store' });
  const merchant = (await api(admin, 'POST', '/v1/admin/tokens', { role: 'merchant', subjectId: 'acme-home' })).token;
  await tongkit(['install', 'member-tiers', '--yes'], as(merchant));
  await tongkit(['install', 'order-tally', '--yes'], as(merchant));
  const installs = (await api(merchant, 'GET', '/v1/installs')).items;
  const tiers = installs.find((i) => i.plugin === 'member-tiers');
  // Beijing counts store spend at 1.5× to push its new store (the brand default is 1.2×).
  await tongkit(['settings', 'set', tiers.id, '--store', 'bj-chaoyang', '--set', 'storeSpendWeightBps=15000'], as(merchant));

  step('5. The host decides tiers through the plugin, per store');
  const ladder = [
    { id: 'regular', name: '普通会员', rank: 0 },
    { id: 'silver', name: '银卡', rank: 1 },
    { id: 'gold', name: '金卡', rank: 2 },
    { id: 'platinum', name: '白金', rank: 3 },
    { id: 'black', name: '黑金', rank: 4 },
  ];
  const member = (id, online, store, growthValue) => ({
    member: { id, currentTier: null, growthValue, pointsBalance: 0, spend12mFen: { online, store }, orderCount12m: 4 },
    tiers: ladder,
    now: '2026-11-25T08:00:00Z',
  });
  const rows = [];
  for (const [id, online, store, growth] of [
    ['m_01', 20_000, 50_000, 300],
    ['m_02', 100_000, 340_000, 2_000],
    ['m_03', 0, 1_400_000, 9_000],
    ['m_04', 3_000_000, 2_500_000, 60_000],
  ]) {
    for (const storeId of ['sh-jingan', 'bj-chaoyang']) {
      const decision = await api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: member(id, online, store, growth), storeId });
      rows.push({ member: id, store: storeId, 'online fen': online, 'store fen': store, tier: decision.output.tierId, source: decision.source, 'cpu µs': decision.measurements?.cpuMicros ?? '-' });
    }
  }
  console.table(rows);

  step('6. Orders are paid; the order-tally plugin counts them per store (at least once, never twice)');
  const orders = [
    ['sh-jingan', 129_900],
    ['sh-jingan', 45_000],
    ['bj-chaoyang', 1_280_000],
    [undefined, 9_900],
  ];
  // Guest orders in through the orders API (card-paid, so all of it is spend): each emits order.paid.
  const orderOf = (index, storeId, amountFen) => ({
    id: `demo-order-${index + 1}`,
    kind: 'goods',
    channel: storeId ? 'store' : 'online',
    ...(storeId ? { storeId } : {}),
    lines: [{ sku: `sku-${index + 1}`, title: `Item ${index + 1}`, category: 'furniture', quantity: 1, unitPriceFen: amountFen }],
    payments: [{ method: 'card', amountFen }],
    paidAt: '2026-11-25T08:00:00Z',
  });
  for (const [index, [storeId, amountFen]] of orders.entries()) await api(merchant, 'POST', '/v1/orders', orderOf(index, storeId, amountFen));
  // The same order again (a till's retry): a duplicate, so order.paid is published once.
  const again = await api(merchant, 'POST', '/v1/orders', orderOf(0, orders[0][0], orders[0][1]));
  console.log(`re-sent demo-order-1: ${again.result}`);
  await host.services.dispatcher.drain();
  const tally = await host.services.db.query(
    `SELECT key, value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = 'acme-home' AND i.plugin_name = 'order-tally' ORDER BY key`,
  );
  console.table(Object.fromEntries(tally.rows.map((row) => [row.key, row.value])));

  step('7. One member, one balance online and in store: points, a tier up, a partial refund takes both back');
  // The host applies tiers from its own ledger and orders through member-tiers; points come from omnichannel-points.
  await api(merchant, 'PUT', '/v1/tiers', { tiers: ladder });
  await tongkit(['settings', 'set', tiers.id, '--set', 'protectDowngradeUntilExpiry=false'], as(merchant));
  await tongkit(['install', 'omnichannel-points', '--yes'], as(merchant));
  const omni = (await api(merchant, 'GET', '/v1/installs')).items.find((i) => i.plugin === 'omnichannel-points');
  await tongkit(['settings', 'set', omni.id, '--set', 'storeRateBps=15000', '--set', 'welcomePoints=100'], as(merchant));
  // The host's own workers run in the background too: drain, then wait until no tier work is left
  // (a background worker may hold a member's work while the drain here finds nothing to claim).
  const settle = async () => {
    for (let i = 0; i < 50; i += 1) {
      await host.services.dispatcher.drain();
      await host.services.orderPoints.drain();
      await host.services.tierWork.drain();
      const { rows } = await host.services.db.query(`SELECT count(*)::int AS n FROM tier_work WHERE merchant_id = 'acme-home'`);
      if (rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const { memberId } = await api(merchant, 'POST', '/v1/members', { channel: 'store', storeId: 'sh-jingan', idempotencyKey: 'demo-member-1' });
  const memberOrder = (id, storeId, amountFen) => ({
    id, kind: 'goods', channel: storeId ? 'store' : 'online', ...(storeId ? { storeId } : {}), member: { id: memberId },
    lines: [{ sku: id, title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: amountFen }],
    payments: [{ method: 'card', amountFen }], paidAt: '2026-11-26T08:00:00Z',
  });
  const standing = async (when) => {
    const [m, p] = await Promise.all([api(merchant, 'GET', `/v1/members/${memberId}`), api(merchant, 'GET', `/v1/members/${memberId}/points`)]);
    return { when, tier: m.tier?.tierId ?? '-', points: p.points.balance, growth: p.growth.balance };
  };
  await settle();
  const table = [await standing('registered (welcome bonus)')];
  await api(merchant, 'POST', '/v1/orders', memberOrder('demo-online-1', undefined, 200_000));
  await api(merchant, 'POST', '/v1/orders', memberOrder('demo-store-1', 'sh-jingan', 400_000));
  await settle();
  table.push(await standing('paid 2,000 yuan online + 4,000 in store'));
  await api(merchant, 'POST', '/v1/orders/demo-store-1/refunds', { refundId: 'demo-refund-1', amountFen: 300_000, refundedAt: '2026-11-27T08:00:00Z' });
  await settle();
  table.push(await standing('refunded 3,000 yuan of the store order'));
  console.table(table);
  const ledger = await api(merchant, 'GET', `/v1/members/${memberId}/ledger`);
  console.table(ledger.items.map((e) => ({ account: e.account, kind: e.kind, delta: e.delta, after: e.balanceAfter, order: e.orderId ?? '-', reason: e.reason })));

  step('8. The merchant reads the logs');
  await tongkit(['logs', '--limit', '8'], as(merchant));

  step('9. A hostile plugin blocks its sandbox worker; the host kills the worker and keeps serving');
  await tongkit(['init', 'rogue-tiers', '--template', 'member-tier', '--yes']);
  symlinkSync(join(repo, 'node_modules'), join(workspace, 'rogue-tiers', 'node_modules'), 'dir');
  // One native call isolated-vm cannot interrupt: in-process it would block the host for ~19 s.
  const rogueSource = join(workspace, 'rogue-tiers', 'src', 'index.ts');
  writeFileSync(
    rogueSource,
    readFileSync(rogueSource, 'utf8').replace(
      "'member.tier.compute': (input, { settings }) => {",
      "'member.tier.compute': (input, { settings }) => {\n      if (input.member.id === 'boom') new Array(2 ** 27).fill(0);",
    ),
  );
  await tongkit(['deploy', '-C', 'rogue-tiers'], as(host.tokens.developer));
  // The development merchant may install a version before review (what `tongkit dev` is for).
  await tongkit(['install', 'rogue-tiers', '--yes'], as(host.tokens.devMerchant));
  const attackStarted = performance.now();
  const attack = await api(host.tokens.devMerchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: member('boom', 0, 0, 0) });
  console.log(`dev-merchant, member boom: ${attack.source} (${attack.output.tierId}) after ${((performance.now() - attackStarted) / 1000).toFixed(1)} s: ${attack.error?.code} — ${attack.error?.message}`);
  const after = await api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: member('m_02', 100_000, 340_000, 2_000), storeId: 'sh-jingan' });
  console.log(`acme-home, member m_02: ${after.source} (${after.output.tierId})`);
  const sandbox = await api(admin, 'GET', '/v1/admin/sandbox');
  const { workers } = sandbox;
  console.table({ 'worker processes alive': workers.alive, started: workers.started, hung: workers.hung, crashed: workers.crashed, 'quarantined merchants': workers.quarantinedTenants, 'isolates alive': sandbox.runtime.isolatesAlive });

  step('Done');
  console.log('Start your own host: tongkit host start · write your own plugin: tongkit init my-tiers --template member-tier');
} catch (error) {
  process.stderr.write(`demo failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await host?.close();
  rmSync(workspace, { recursive: true, force: true });
}
