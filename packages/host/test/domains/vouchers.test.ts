// 服务通 e-vouchers as a spec: templates, issue, precheck, redeem (never twice, also when two stores
// race), reverse and extend, with the counts initial / available / locked / used.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vouchers } from '../../src/domains/service/vouchers.js';
import { eventsOf, startDomainHost, type DomainHost } from './support.js';

let host: DomainHost;
let vouchers: Vouchers;

beforeAll(async () => {
  host = await startDomainHost();
  const s = host.services;
  await s.tenancy.upsertStore({ id: 'acme-bj', merchantId: 'acme', name: 'acme Beijing', channel: 'store' });
  vouchers = new Vouchers(s.db, (tx, m, e, d) => s.dispatcher.publishIn(tx, m, e, d));
  await vouchers.defineTemplate('acme', { id: 'free-measure', title: 'Free measurement', kind: 'free_service', serviceKind: 'measurement', validDays: 90, storeIds: ['acme-sh'] });
  await vouchers.defineTemplate('acme', { id: 'cleaning-3', title: '3 cleanings', kind: 'free_service', serviceKind: 'custom', uses: 3, validDays: 365 });
});
afterAll(() => host.close());

let seq = 0;
const issue = (templateId: string) => vouchers.issue('acme', templateId, { memberId: null }, `issue-${++seq}`);

describe('e-vouchers', () => {
  it('issues once per key, prechecks where it is valid, redeems a use once per request, reverses and extends', async () => {
    const { voucher } = await vouchers.issue('acme', 'free-measure', { memberId: null, orderId: 'svc-1', stageNo: 2 }, 'gift-1');
    expect((await vouchers.issue('acme', 'free-measure', { memberId: null }, 'gift-1')).result).toBe('duplicate');
    expect(voucher).toMatchObject({ initial: 1, available: 1, locked: 0, used: 0 });
    expect(await vouchers.precheck('acme', voucher.serial, 'acme-sh')).toMatchObject({ valid: true, stage: { orderId: 'svc-1', stageNo: 2 } });
    expect(await vouchers.precheck('acme', voucher.serial, 'acme-bj')).toMatchObject({ valid: false, code: 'not_valid_here' });
    expect(await vouchers.precheck('globex', voucher.serial, 'globex-sh')).toMatchObject({ valid: false, code: 'not_found' });
    const redeemed = await vouchers.redeem('acme', voucher.serial, 'acme-sh', 'req-1');
    expect(redeemed).toMatchObject({ result: 'applied', voucher: { available: 0, locked: 0, used: 1 } });
    expect((await vouchers.redeem('acme', voucher.serial, 'acme-sh', 'req-1')).result).toBe('duplicate');
    expect(await vouchers.redeem('acme', voucher.serial, 'acme-sh', 'req-2')).toMatchObject({ result: 'rejected', code: 'used_up' });
    if (redeemed.result === 'rejected') throw new Error('not redeemed');
    expect((await vouchers.reverse('acme', redeemed.redemptionId)).voucher).toMatchObject({ available: 1, used: 0 });
    expect((await vouchers.reverse('acme', redeemed.redemptionId)).result).toBe('duplicate');
    const far = new Date('2030-01-01T00:00:00Z');
    expect((await vouchers.extend('acme', voucher.serial, far)).validUntil).toBe(far.toISOString());
    expect(await vouchers.redeem('acme', voucher.serial, 'acme-sh', 'req-3', new Date('2030-01-02T00:00:00Z'))).toMatchObject({ result: 'rejected', code: 'expired' });
    expect((await eventsOf(host, 'acme', 'voucher.redeemed')).map((e) => e.data['serial'])).toEqual([voucher.serial]);
    await expect(vouchers.get('globex', voucher.serial)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(vouchers.redeem('globex', voucher.serial, 'globex-sh', 'req-g')).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
  });

  it('redeems each use once when stores race for it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('free-measure', 'cleaning-3'), fc.integer({ min: 2, max: 8 }), async (templateId, racers) => {
        const { voucher } = await issue(templateId);
        const stores = ['acme-sh', 'acme-sh', 'acme-bj'];
        const results = await Promise.all(Array.from({ length: racers }, (_, i) => vouchers.redeem('acme', voucher.serial, stores[i % stores.length]!, `race-${seq}-${i}`)));
        const applied = results.filter((r) => r.result === 'applied').length;
        const usableStores = templateId === 'free-measure' ? results.filter((_, i) => stores[i % stores.length] === 'acme-sh').length : racers;
        expect(applied).toBe(Math.min(voucher.initial, usableStores));
        const after = await vouchers.get('acme', voucher.serial);
        expect(after).toMatchObject({ used: applied, locked: 0, available: voucher.initial - applied });
      }),
      { numRuns: 15 },
    );
  }, 240_000);
});
