/**
 * What the host's HTTP API answers, as types. Each is `Static<>` of the TypeBox schema the route
 * declares as its `response` — the schema that serialises the reply and documents it in OpenAPI — so a
 * client (the CLI, the workbench) typed with these cannot drift from what the host sends.
 */
import type { Static } from '@sinclair/typebox';
import type { LedgerPageResponse, MemberPointsResponse } from './domains/points/schemas.js';
import type { StoreFulfilmentView as StoreFulfilmentViewSchema } from './domains/fulfilment/routes.js';

export type { CatalogEntry, IssuedToken, MerchantStore, MerchantStoreRequest, StoreChannel } from './platform/tenancy/schemas.js';
export type { Install, InstallRequest } from './platform/installs/schemas.js';
export type { DeployUpload, VersionDetail, VersionFilter, VersionPage, VersionStatus, VersionSummary } from './platform/registry/schemas.js';
export type { ReviewReport, ReviewCheck, PermissionFinding, ManifestDiff } from './platform/registry/review-report.js';
export type { DecisionSource, ExtensionDecision } from './platform/extensions/schemas.js';
export type { DeadLetter, PublishedEvent, ReplayedDelivery } from './platform/dispatch/schemas.js';
export type { LogEntry } from './logs.js';
export type { CreateOrderResult, OrderPage, RefundResult } from './domains/orders/schemas.js';

/** `GET /v1/members/:id/points`: balances, open holds and the next-expiring lots. */
export type MemberPointsView = Static<typeof MemberPointsResponse>;
/** `GET /v1/members/:id/ledger`: one page of ledger entries. */
export type LedgerPage = Static<typeof LedgerPageResponse>;
/** `{ items }`: what the listing routes answer. */
export interface Items<T> {
  items: T[];
}
/** `GET|PUT /v1/stores/:storeId/fulfilment`: a store's fulfilment settings. */
export type StoreFulfilmentView = Static<typeof StoreFulfilmentViewSchema>;
export type { LedgerResult } from './domains/points/index.js';
export type { TierLadder, TierHistoryPage, MemberTierView } from './domains/tiers/schemas.js';
export type { AllocationView, AnswerResult as AllocationAnswer, OrderAllocationView } from './domains/allocation/schemas.js';
/** `GET /v1/stores/:storeId/allocations`: the store's queue. */
export type AllocationQueue = Static<typeof import('./domains/allocation/schemas.js').Queue>;
