// POST /v1/events holds what a merchant publishes to the SDK's payload schemas: a handler of a typed
// event (order.paid, member.bound, …) gets the data its type promises, whoever published the event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, EVENT_PAYLOADS } from '@tongkit/sdk';
import { createMerchant, expectError, ok, orderPaidData, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let merchant: string;
beforeAll(async () => {
  t = await startTestHost();
  merchant = await createMerchant(t, 'typed-events');
});
afterAll(async () => {
  await t?.close();
});

/** The events the catalogue types: their payload schema names properties (the others take any object). */
const typed = EVENT_NAMES.filter((name) => Object.keys((EVENT_PAYLOADS[name] as { properties?: object }).properties ?? {}).length > 0);
const untyped = EVENT_NAMES.filter((name) => !typed.includes(name));
const eventsStored = async () => (await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE merchant_id = 'typed-events'`)).rows[0]!.n;

describe('publishing a typed event', () => {
  it('refuses empty data for every typed event, naming the first missing field’s path, and stores nothing', async () => {
    expect(typed).toEqual(expect.arrayContaining(['order.paid', 'order.refunded', 'member.registered', 'member.bound', 'member.redact']));
    for (const type of typed) {
      const required = (EVENT_PAYLOADS[type] as { required?: string[] }).required ?? [];
      const refused = expectError(await t.api(merchant, 'POST', '/v1/events', { type, data: {} }), 400, 'TK_VALIDATION');
      expect(refused.path, type).toMatch(/^\/data\/\w+/);
      expect(required, type).toContain(refused.path!.slice('/data/'.length));
      expect(refused.hint, type).toContain(`tongkit schema ${type}`);
    }
    expect(await eventsStored()).toBe(0);
  });

  it('names the wrong field’s JSON path deep inside the data', async () => {
    const wrongTender = expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ tenders: [{ method: 'cash', amountFen: -5 }] }) }), 400, 'TK_VALIDATION');
    expect(wrongTender.path).toBe('/data/tenders/0/amountFen');
    const wrongMethod = expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ tenders: [{ method: 'iou', amountFen: 100 }] }) }), 400, 'TK_VALIDATION');
    expect(wrongMethod.path).toBe('/data/tenders/0/method');
    const notADate = expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ paidAt: 'yesterday' }) }), 400, 'TK_VALIDATION');
    expect(notADate.path).toBe('/data/paidAt');
    // A nested object stays closed: a tender is a tender.
    expect(expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ tenders: [{ method: 'cash', amountFen: 100, tip: 1 }] }) }), 400, 'TK_VALIDATION').path).toMatch(/^\/data\/tenders\/0/);
    expect(await eventsStored()).toBe(0);
  });

  it('accepts data that matches, with fields of the publisher’s own beside the typed ones', async () => {
    expect(await ok(t.api(merchant, 'POST', '/v1/events', { id: 'typed-1', type: 'order.paid', data: orderPaidData({ source: 'legacy-pos' }) }), 202)).toMatchObject({ id: 'typed-1', duplicate: false });
    const { rows } = await t.host.services.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE merchant_id = 'typed-events' AND id = 'typed-1'`);
    expect(rows[0]!.data).toMatchObject({ orderId: 'o-1', source: 'legacy-pos' });
  });

  it('takes any object for an event the catalogue has not typed yet', async () => {
    expect(untyped.length).toBeGreaterThan(0);
    for (const type of untyped) await ok(t.api(merchant, 'POST', '/v1/events', { type, data: { anything: [1, 'two'] } }), 202);
  });
});
