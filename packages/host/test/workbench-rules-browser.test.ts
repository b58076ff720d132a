// The workbench's rule fields in a real headless Chromium against a real host: a merchant installs the
// points-rules template, edits an earn rule as JSON in the settings form, is told at the rule when it is
// not JSON (nothing sent) and when the host refuses it (an unknown variable, at the rule's field), then
// saves a good rule and the host holds exactly it. The page passes axe and raises no CSP violation.
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { readFixtures } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TESTS_REQUIRED, NO_CHROMIUM_MESSAGE, findChromium, launchChromium } from './support/browser.js';
import { createMerchant, ok, publish, startTestHost, type TestHost } from './helpers.js';

const template = fileURLToPath(new URL('../../../templates/points-rules', import.meta.url));
const chromiumPath = findChromium();

describe.runIf(!chromiumPath)('workbench rule fields without a Chromium', () => {
  it.runIf(BROWSER_TESTS_REQUIRED)('fail when CI requires them', () => {
    throw new Error(NO_CHROMIUM_MESSAGE);
  });
});

describe.runIf(chromiumPath)('rule fields in the workbench', () => {
  let t: TestHost;
  let browser: Browser;
  let merchant: string;
  let installId: string;

  beforeAll(async () => {
    t = await startTestHost();
    merchant = await createMerchant(t, 'rules-shop');
    // With its own fixtures, as `tongkit deploy` sends them (the review's automated checks run them).
    const { plugin } = await publish(t, { ...(await buildPlugin(template)).bundle, fixtures: await readFixtures(`${template}/fixtures`, template) });
    installId = (await ok(t.api(merchant, 'POST', '/v1/installs', { plugin, grantPermissions: ['member:read', 'orders:read'] }), 201)).id;
    browser = await launchChromium(chromiumPath!);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('edits a rule as JSON, shows the host’s refusal at the rule, and saves a good one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    await context.addInitScript({ content: "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective));" });
    const page = await context.newPage();
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel('访问令牌').fill(merchant);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    await page.goto(`${t.url}/merchant/installs/${installId}`);

    // The template's default rule (1 point per yuan) is shown as JSON in its box.
    const points = page.locator('[id$="earnRules_0_points"]');
    await points.waitFor();
    expect(JSON.parse(await points.inputValue())).toEqual({ div: [{ var: 'order.spendFen' }, 100] });

    await points.fill('{"div": [');
    await page.getByText('还不是合法的 JSON').waitFor();
    // Saved as it is: marked at the rule (the widget's hint and the field's error), nothing sent.
    await page.getByRole('button', { name: '保存', exact: true }).click();
    await expect.poll(() => page.getByText('还不是合法的 JSON').count()).toBe(2);
    expect((await ok(t.api(merchant, 'GET', `/v1/installs/${installId}`))).settings).toEqual({});
    await points.fill('{"div": [{"var": "order.spendFenn"}, 100]}');
    await page.getByRole('button', { name: '保存', exact: true }).click();
    await page.getByText(/unknown variable "order\.spendFenn"/).waitFor();
    expect((await ok(t.api(merchant, 'GET', `/v1/installs/${installId}`))).settings).toEqual({});

    await points.fill('{"bps": [{"var": "order.spendFen"}, 150]}');
    await page.getByRole('button', { name: '保存', exact: true }).click();
    await page.getByText('设置已保存').waitFor();
    const saved = (await ok(t.api(merchant, 'GET', `/v1/installs/${installId}`))).settings as { earnRules: Array<{ points: unknown }> };
    expect(saved.earnRules[0]!.points).toEqual({ bps: [{ var: 'order.spendFen' }, 150] });

    await expect.poll(() => page.evaluate<number>("document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity).length"), { timeout: 20_000 }).toBe(0);
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    expect(await page.evaluate<string[]>('window.__csp')).toEqual([]);
    await context.close();
  }, 180_000);
});
