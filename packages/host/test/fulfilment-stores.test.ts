// Stores as fulfilment points: settings validated at JSON paths, read in the merchant's time zone, and
// another merchant's store answering exactly like a missing one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOpenAt, localTimeOf } from '../src/domains/fulfilment/store-settings.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
afterAll(() => t.close());

let a = '';
let b = '';
beforeAll(async () => {
  a = await createMerchant(t, 'ful-a', { stores: ['ful-a-1', 'ful-a-2'] });
  b = await createMerchant(t, 'ful-b', { stores: ['ful-b-1'] });
});

const settings = {
  capabilities: ['deliver', 'pickup'],
  workingHours: [
    { day: 'mon', opens: '09:00', closes: '12:00' },
    { day: 'mon', opens: '13:00', closes: '21:00' },
    { day: 'sat', opens: '10:00', closes: '24:00' },
  ],
  closedDays: ['2026-12-25'],
  dailyCapacity: 40,
  priority: 7,
  location: { lat: 31.2304, lng: 121.4737 },
  deliveryRadiusM: 5000,
  minDeliveryOrderFen: 9900,
};

describe('store fulfilment settings', () => {
  it('sets and reads back a store’s settings, with the merchant’s time zone', async () => {
    const set = await ok(t.api(a, 'PUT', '/v1/stores/ful-a-1/fulfilment', settings));
    expect(set).toMatchObject({ storeId: 'ful-a-1', settings, timeZone: 'Asia/Shanghai' });
    expect(typeof set.openNow).toBe('boolean');
    expect(await ok(t.api(a, 'GET', '/v1/stores/ful-a-1/fulfilment'))).toMatchObject({ settings });
  });

  it('lets an admin act for a merchant it names', async () => {
    const admin = t.host.tokens.admin;
    await ok(t.api(admin, 'PUT', '/v1/stores/ful-a-2/fulfilment?merchantId=ful-a', { ...settings, capabilities: ['pickup'], location: null, deliveryRadiusM: 0 }));
    expect((await ok(t.api(a, 'GET', '/v1/stores/ful-a-2/fulfilment'))).settings.location).toBeNull();
  });

  it.each([
    ['a priority above 10', { priority: 11 }, '/priority'],
    ['an unknown capability', { capabilities: ['ship'] }, '/capabilities/0'],
    ['a repeated capability', { capabilities: ['pickup', 'pickup'] }, '/capabilities'],
    ['a malformed time', { workingHours: [{ day: 'mon', opens: '9:00', closes: '12:00' }] }, '/workingHours/0/opens'],
    ['hours that close before they open', { workingHours: [{ day: 'tue', opens: '18:00', closes: '02:00' }] }, '/workingHours/0/closes'],
    ['overlapping hours', { workingHours: [{ day: 'tue', opens: '09:00', closes: '14:00' }, { day: 'tue', opens: '13:00', closes: '18:00' }] }, '/workingHours/1'],
    ['a date that does not exist', { closedDays: ['2026-02-30'] }, '/closedDays/0'],
    ['delivering without a location', { location: null }, '/location'],
    ['delivering with no radius', { deliveryRadiusM: 0 }, '/deliveryRadiusM'],
    ['a fractional minimum order', { minDeliveryOrderFen: 9.5 }, '/minDeliveryOrderFen'],
    ['a latitude off the globe', { location: { lat: 91, lng: 0 } }, '/location'],
    ['an unknown field', { colour: 'red' }, '/colour'],
  ])('refuses %s at its JSON path', async (_what, change, path) => {
    const res = await t.api(a, 'PUT', '/v1/stores/ful-a-1/fulfilment', { ...settings, ...change });
    const error = expectError(res, 400, 'TK_VALIDATION');
    expect(error.path?.startsWith(path)).toBe(true);
  });

  it('answers another merchant’s store exactly like a missing one', async () => {
    const theirs = await t.api(b, 'GET', '/v1/stores/ful-a-1/fulfilment');
    const missing = await t.api(b, 'GET', '/v1/stores/no-such-store/fulfilment');
    expectError(theirs, 404, 'TK_NOT_FOUND');
    expect(theirs.body.error.message.replace('ful-a-1', 'X')).toBe(missing.body.error.message.replace('no-such-store', 'X'));
    expectError(await t.api(b, 'PUT', '/v1/stores/ful-a-1/fulfilment', settings), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(a, 'GET', '/v1/stores/ful-a-1/fulfilment'))).settings.priority).toBe(7);
  });

  it('says a store that is no fulfilment point yet is not found, with how to set it', async () => {
    const error = expectError(await t.api(b, 'GET', '/v1/stores/ful-b-1/fulfilment'), 404, 'TK_NOT_FOUND');
    expect(error.hint).toMatch(/fulfilment set/);
  });
});

describe('opening hours in the merchant’s time zone', () => {
  const hours = { workingHours: settings.workingHours as never, closedDays: ['2026-12-25'] };
  it('reads an instant on the local calendar', () => {
    // 2026-12-06 17:30 UTC is Monday 2026-12-07 01:30 in Shanghai.
    expect(localTimeOf(new Date('2026-12-06T17:30:00Z'), 'Asia/Shanghai')).toEqual({ date: '2026-12-07', weekday: 'mon', minutes: 90 });
  });
  it('is open inside an interval and closed in the gap, at the interval’s end and on a closed day', () => {
    expect(isOpenAt(hours, 'Asia/Shanghai', new Date('2026-12-07T01:00:00Z'))).toBe(true); // Mon 09:00
    expect(isOpenAt(hours, 'Asia/Shanghai', new Date('2026-12-07T04:30:00Z'))).toBe(false); // Mon 12:30
    expect(isOpenAt(hours, 'Asia/Shanghai', new Date('2026-12-07T13:00:00Z'))).toBe(false); // Mon 21:00
    expect(isOpenAt(hours, 'Asia/Shanghai', new Date('2026-12-12T15:59:00Z'))).toBe(true); // Sat 23:59
    expect(isOpenAt({ ...hours, closedDays: ['2026-12-07'] }, 'Asia/Shanghai', new Date('2026-12-07T01:00:00Z'))).toBe(false);
  });
  it('reads the same instant differently in another zone', () => {
    // Mon 09:00 in Shanghai is Sun 20:00 in New York: closed there.
    expect(isOpenAt(hours, 'America/New_York', new Date('2026-12-07T01:00:00Z'))).toBe(false);
  });
});
