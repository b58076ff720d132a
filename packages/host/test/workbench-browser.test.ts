// The workbench in a real headless Chromium against a real host: the reviewer approves a version; a
// merchant installs it, consents, fills the settings form, sees a field error, saves, overrides one
// store, upgrades with re-consent and rolls back; a merchant of another tenant cannot see the install;
// a cookie POST without the CSRF token is refused; sign-out ends the session. Every page is checked
// with axe (no serious or critical violation) and for CSP violations, and screenshots of the main pages
// go to docs/workbench/.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TESTS_REQUIRED, NO_CHROMIUM_MESSAGE, findChromium, launchChromium } from './support/browser.js';
import { createMerchant, ok, startTestHost, tierInput, uploadOf, type TestHost } from './helpers.js';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/workbench');
const chromiumPath = findChromium();
if (!chromiumPath) console.warn(NO_CHROMIUM_MESSAGE);

describe.runIf(!chromiumPath)('workbench browser tests without a Chromium', () => {
  it.runIf(BROWSER_TESTS_REQUIRED)('fail when CI requires them', () => {
    throw new Error(NO_CHROMIUM_MESSAGE);
  });
});

describe.runIf(chromiumPath)('the workbench in Chromium', () => {
  let t: TestHost;
  let browser: Browser;
  let merchantA: string;
  let merchantB: string;
  const PLUGIN = 'test-upgrade-tiers';

  beforeAll(async () => {
    t = await startTestHost();
    merchantA = await createMerchant(t, 'shop-a', { stores: ['shop-a-store1', 'shop-a-store2'] });
    merchantB = await createMerchant(t, 'shop-b');
    const developer = t.host.tokens.developer;
    for (const name of ['upgradeV1', 'upgradeV2'] as const) {
      const deployed = await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf(name)), 201);
      await ok(t.api(developer, 'POST', `/v1/plugins/${PLUGIN}/versions/${deployed.version}/submit`, {}));
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium(chromiumPath!);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A fresh browser profile (its own cookie jar) signed in with `token` through the sign-in page. */
  async function signedIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
    // Collected in the page (before its own scripts run): any CSP violation fails the test.
    await context.addInitScript({
      content: "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));",
    });
    const page = await context.newPage();
    await page.goto(`${t.url}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByLabel('访问令牌').fill(token);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    return { context, page };
  }

  /**
   * axe's serious and critical violations on the page at rest. A dialog fading in or a dropdown closing
   * is half transparent for a few frames: axe would measure the contrast of a colour mid-fade, or find a
   * listbox on its way out. On a loaded machine those frames last long enough to be caught, so the page
   * settles first (every running animation and transition finished).
   */
  async function seriousViolations(page: Page): Promise<string[]> {
    // (A spinner's endless animation never finishes; it changes no colour that axe measures.)
    // (Polled through evaluate: the workbench's CSP refuses the eval a string waitForFunction needs.)
    const moving = "document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity).length";
    await expect.poll(() => page.evaluate<number>(moving), { timeout: 20_000, interval: 50 }).toBe(0);
    const { violations } = await new AxeBuilder({ page }).analyze();
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}): ${v.nodes[0]?.failureSummary ?? ''}`);
  }

  /** axe on the page at rest: no serious or critical violation; and no CSP violation so far. */
  async function checkPage(page: Page, screenshot?: string): Promise<void> {
    expect(await seriousViolations(page), `axe on ${page.url()}`).toEqual([]);
    expect(await page.evaluate<string[]>('window.__csp'), `CSP violations on ${page.url()}`).toEqual([]);
    if (screenshot) await page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`), fullPage: true });
  }

  it('shows the sign-in page in zh-CN, switches to English, and passes axe', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${t.url}/sign-in`);
    await page.getByRole('heading', { name: '登录工作台' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await page.getByLabel('语言').click();
    await page.getByText('English', { exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to the workbench' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 180_000);

  it('lets the reviewer open the queue and the report page, and approve with a comment', async () => {
    const { context, page } = await signedIn(t.host.tokens.reviewer);
    await page.getByRole('heading', { name: '待审核版本' }).waitFor();
    await page.getByRole('link', { name: `打开 ${PLUGIN}@1.0.0` }).waitFor();
    await checkPage(page, 'review-queue');

    await page.goto(`${t.url}/review/${PLUGIN}/1.0.0`);
    await page.getByTestId('review-report').waitFor();
    const readyMs = await page.evaluate<number>('window.__tkReportReadyAt');
    console.log(`workbench: review page interactive ${Math.round(readyMs)} ms after navigation (target ≤ 1000 ms, not asserted)`);
    await page.getByText('member:read').first().waitFor();
    await checkPage(page, 'review-report');

    await page.getByLabel('备注').fill('看过报告，权限与使用一致。');
    await page.getByRole('button', { name: '通过' }).click();
    await page.getByText('已记录审核结果：已通过').waitFor();
    const version = await ok(t.api(t.host.tokens.reviewer, 'GET', `/v1/plugins/${PLUGIN}/versions/1.0.0`));
    expect(version).toMatchObject({ status: 'approved', reviewComment: '看过报告，权限与使用一致。', reviewedBy: 'reviewer:reviewer' });
    await context.close();
  }, 180_000);

  let installId = '';

  it('lets a merchant install with consent, see a field error, save settings, override a store, upgrade and roll back', async () => {
    const { context, page } = await signedIn(merchantA);
    await page.getByRole('heading', { name: '您的商家层级可安装的插件' }).waitFor();
    await checkPage(page, 'merchant-catalogue');

    await page.getByRole('button', { name: `安装 ${PLUGIN}` }).click();
    const consent = page.getByRole('dialog');
    await consent.getByText('member:read').waitFor();
    await consent.getByText(/Read member tiers/).waitFor();
    await checkPage(page, 'merchant-consent');
    await consent.getByRole('checkbox').check();
    await consent.getByRole('button', { name: '安装' }).click();
    await page.waitForURL(/\/merchant\/installs\/ins_/);
    installId = page.url().split('/').pop()!;

    // The settings form: an invalid value is refused by the host and shown at its field. (A negative
    // number would not do: the number input clamps it to the schema's minimum itself.)
    const gold = page.locator('#settings_goldAtFen');
    await gold.fill('1.5');
    await page.getByRole('button', { name: '保存' }).click();
    const fieldError = page.locator('.ant-form-item').filter({ has: gold }).last().locator('.ant-form-item-explain-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/goldAtFen|integer/i);
    await checkPage(page, 'merchant-settings-error');
    await gold.fill('600000');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('设置已保存').waitFor();
    expect((await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).settings).toEqual({ goldAtFen: 600_000 });

    // One store's override, shown as a diff against the brand's settings.
    await page.getByRole('tab', { name: '门店单独设置' }).click();
    const storeGold = page.locator('#store-settings_goldAtFen');
    await storeGold.fill('700000');
    await page.getByRole('button', { name: '保存门店设置' }).click();
    const diff = page.getByTestId('override-diff');
    await diff.getByText('700000').waitFor();
    await diff.getByText('600000').waitFor();
    expect((await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).storeOverrides).toEqual({ 'shop-a-store1': { goldAtFen: 700_000 } });
    await checkPage(page, 'merchant-store-override');

    // Version 2 asks for one more permission: moving to it shows the consent screen for that one.
    await ok(t.api(t.host.tokens.reviewer, 'POST', `/v1/plugins/${PLUGIN}/versions/2.0.0/approve`, { comment: 'ok' }));
    await page.getByRole('tab', { name: '版本' }).click();
    await page.getByRole('button', { name: '切换到此版本 2.0.0' }).click();
    const reconsent = page.getByRole('dialog');
    await reconsent.getByText('storage:kv').waitFor();
    await reconsent.getByRole('checkbox').check();
    await reconsent.getByRole('button', { name: '安装' }).click();
    await expect.poll(() => page.getByTestId('install-version').textContent(), { timeout: 20_000 }).toBe('2.0.0');
    await checkPage(page, 'merchant-versions');
    await page.getByRole('button', { name: '回滚到 1.0.0' }).click();
    await expect.poll(() => page.getByTestId('install-version').textContent(), { timeout: 20_000 }).toBe('1.0.0');
    expect((await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).version).toBe('1.0.0');

    // Logs: an invocation through the API shows on the install's logs tab with its breaker state.
    await ok(t.api(merchantA, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput() }));
    await page.reload();
    await page.getByRole('tab', { name: '日志' }).click();
    await page.getByText('member.tier.compute ok').first().waitFor();
    await page.getByText('运行中').waitFor();
    await checkPage(page, 'merchant-logs');

    // The settings impact preview: the host replays that invocation (600,000 of spend… tierInput's
    // 350,000) with the proposed settings; a threshold of 300,000 makes it gold, so 1 of 1 changes.
    await page.getByRole('tab', { name: '设置', exact: true }).click();
    await page.locator('#settings_goldAtFen').fill('300000');
    await page.getByRole('button', { name: '预览影响' }).click();
    await page.getByTestId('impact-summary').getByText('按新设置重放最近 1 次决策：1 次会改变。').waitFor();
    await page.getByTestId('impact-preview').getByText('regular → gold').waitFor();
    await checkPage(page, 'merchant-impact-preview');
    expect((await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).settings).toEqual({ goldAtFen: 600_000 });

    // One extension point switched off and on again from the install page.
    const pointSwitch = page.getByRole('switch', { name: '启用扩展点 member.tier.compute' });
    await pointSwitch.click();
    await expect.poll(async () => (await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).enabledPoints, { timeout: 20_000 }).toEqual([]);
    await page.getByRole('switch', { name: '启用扩展点 member.tier.compute' }).click();
    await expect.poll(async () => (await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).enabledPoints, { timeout: 20_000 }).toEqual(['member.tier.compute']);

    // A POST with the session cookie but without its CSRF token is refused, and changes nothing.
    const status = await page.evaluate(async (id) => (await fetch(`/v1/installs/${id}/disable`, { method: 'POST' })).status, installId);
    expect(status).toBe(403);
    expect((await ok(t.api(merchantA, 'GET', `/v1/installs/${installId}`))).status).toBe('active');

    // Sign-out ends the session on the host: the old cookie no longer works, even sent by hand.
    const cookie = (await context.cookies()).find((c) => c.name === 'tk_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('heading', { name: '登录工作台' }).waitFor();
    expect((await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { cookie: `tk_session=${cookie.value}` } })).status).toBe(401);
    expect(await page.evaluate(async () => (await fetch('/v1/installs')).status)).toBe(401);
    await context.close();
  }, 180_000);

  it('shows a member’s tier, balances and ledger and an order’s tenders, refunds and decisions', async () => {
    // A ladder: the installed plugin (gold at 600,000 fen of 12-month spend) decides the member's tier.
    await ok(t.api(merchantA, 'PUT', '/v1/tiers', { tiers: [{ id: 'regular', name: '普通会员', rank: 0 }, { id: 'gold', name: '金卡', rank: 1 }] }));
    const member = await ok(t.api(merchantA, 'POST', '/v1/members', { channel: 'online' }), 201);
    const order = { id: 'wb-order-1', kind: 'goods', channel: 'online', member: { id: member.memberId }, lines: [{ sku: 'sofa', title: '沙发', category: 'furniture', quantity: 1, unitPriceFen: 720_000 }], payments: [{ method: 'card', amountFen: 700_000 }, { method: 'voucher', amountFen: 20_000 }], paidAt: '2026-12-01T08:00:00Z' };
    await ok(t.api(merchantA, 'POST', '/v1/orders', order), 201);
    // The platform default (1 point per yuan of money tenders) is earned by the host's points worker; the tier by the plugin.
    const points = async () => (await ok(t.api(merchantA, 'GET', `/v1/members/${member.memberId}/points`))).points.balance;
    const tier = async () => (await ok(t.api(merchantA, 'GET', `/v1/members/${member.memberId}`))).tier?.tierId;
    await expect.poll(points, { timeout: 30_000 }).toBe(7000);
    await expect.poll(tier, { timeout: 30_000 }).toBe('gold');
    // Half refunded: the card's pro-rata share (350,000) reverses half the points, and spend falls below gold.
    await ok(t.api(merchantA, 'POST', '/v1/orders/wb-order-1/refunds', { refundId: 'wb-refund-1', refundedAt: '2026-12-02T08:00:00Z', amountFen: 360_000 }), 201);
    await expect.poll(points, { timeout: 30_000 }).toBe(3500);
    await expect.poll(tier, { timeout: 30_000 }).toBe('regular');

    const { context, page } = await signedIn(merchantA);
    await page.getByRole('link', { name: '会员与订单' }).click();
    await page.getByLabel('会员 ID').fill(member.memberId);
    await page.getByRole('button', { name: '查看会员' }).click();
    await page.getByTestId('member-id').waitFor();
    await expect.poll(() => page.getByTestId('points-balance').textContent(), { timeout: 20_000 }).toBe('3500');
    expect(await page.getByTestId('member-tier').textContent()).toBe('普通会员 (regular)');
    await page.getByRole('cell', { name: /→ gold$/ }).waitFor();
    await page.getByRole('cell', { name: 'gold → regular' }).waitFor();
    await page.getByRole('link', { name: 'wb-order-1' }).waitFor();
    await checkPage(page, 'merchant-member');

    await page.getByRole('link', { name: 'wb-order-1' }).click();
    await expect.poll(() => page.getByTestId('order-status').textContent(), { timeout: 20_000 }).toBe('partially_refunded');
    expect(await page.getByTestId('order-spend').textContent()).toBe('¥7,000.00');
    await page.getByRole('cell', { name: 'wb-refund-1', exact: true }).waitFor();
    await page.getByTestId('order-decisions').getByText('+7000').first().waitFor();
    await checkPage(page, 'merchant-order');
    await context.close();
  }, 180_000);

  it('shows a merchant of another tenant none of it', async () => {
    const { context, page } = await signedIn(merchantB);
    await page.goto(`${t.url}/merchant/installs`);
    await page.getByText('尚未安装插件。请到插件市场安装。').waitFor();
    await page.goto(`${t.url}/merchant/installs/${installId}`);
    await page.getByRole('alert').getByText(/TK_NOT_FOUND/).waitFor();
    expect(await page.content()).not.toContain('600000');
    await context.close();
  }, 180_000);

  it('shows the developer its versions with the reviewer’s comment', async () => {
    const { context, page } = await signedIn(t.host.tokens.developer);
    await page.getByRole('heading', { name: '我的插件与版本' }).waitFor();
    await page.getByText('看过报告，权限与使用一致。').waitFor();
    await checkPage(page, 'developer-versions');
    await context.close();
  }, 180_000);
});
