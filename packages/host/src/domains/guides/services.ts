import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { Database } from '../../platform/storage/database.js';
import { CommissionLedger } from './commission-ledger.js';
import { CommissionWorker } from './commission-worker.js';
import { Guides } from './guides.js';
import { Relations } from './relations.js';
import { Shares } from './shares.js';
import { Statements } from './statements.js';

/** The guide services of a platform, shared by routes, host APIs and the order worker. */
export interface GuideServices {
  db: Database;
  guides: Guides;
  relations: Relations;
  shares: Shares;
  ledger: CommissionLedger;
  statements: Statements;
  worker: CommissionWorker;
}

const built = new WeakMap<HostPlatform, GuideServices>();

/** The guide services of a platform, built once. */
export function guidesOf(platform: HostPlatform): GuideServices {
  let services = built.get(platform);
  if (!services) {
    const relations = new Relations(platform.db, platform.publishIn, platform.memberExists);
    const shares = new Shares(platform.db, platform.memberExists);
    const ledger = new CommissionLedger(platform.db, platform.publishIn);
    services = {
      db: platform.db,
      guides: new Guides(platform.db, platform.publishIn, platform.memberExists),
      relations,
      shares,
      ledger,
      statements: new Statements(platform.db),
      worker: new CommissionWorker(platform.db, ledger, { relations, shares }, platform.invokePoint),
    };
    built.set(platform, services);
  }
  return services;
}
