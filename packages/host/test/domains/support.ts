// A host's domain services on a test database of their own: no HTTP, no sandbox workers.
import { createHostServices, type HostServices } from '../../src/testing.js';
import { generateHostKeyRing, type HostKeyRing } from '../../src/platform/host-keys.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing.js';

export interface DomainHost {
  services: HostServices;
  database: TestDatabase;
  keys: HostKeyRing;
  close(): Promise<void>;
}

/** Services on a fresh database, with merchants `acme` and `globex` (a store each: `<id>-sh`). */
export async function startDomainHost(keys: HostKeyRing = generateHostKeyRing('k1')): Promise<DomainHost> {
  const database = await createTestDatabase();
  const services = createHostServices(database.db, { runtime: { isolation: 'in-process' }, hostKeys: keys });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  for (const id of ['acme', 'globex']) {
    await services.tenancy.upsertMerchant({ id, name: id, tierId: 'standard' });
    await services.tenancy.upsertStore({ id: `${id}-sh`, merchantId: id, name: `${id} Shanghai`, channel: 'store' });
  }
  return {
    services,
    database,
    keys,
    async close() {
      await services.runtime.dispose();
      await database.drop();
    },
  };
}

/** The events a merchant's outbox holds, oldest first. */
export async function eventsOf(host: DomainHost, merchantId: string, type?: string) {
  const { rows } = await host.database.db.query<{ id: string; type: string; data: Record<string, any>; occurred_at: Date | null }>(
    `SELECT id, type, data, occurred_at FROM events WHERE merchant_id = $1 AND ($2::text IS NULL OR type = $2) ORDER BY created_at, id`,
    [merchantId, type ?? null],
  );
  return rows;
}
