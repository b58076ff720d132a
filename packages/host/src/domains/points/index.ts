/**
 * The points & growth ledger, a host domain module: the service, its result types and the pure rules
 * (cumulative reversal) other modules and tests use.
 */
export { PointsLedger, type DeductRequest, type FreezeRequest, type GrantRequest, type HoldRequest, type MemberDirectory, type MemberMutation, type PointsLedgerOptions } from './ledger.js';
export type { LedgerOutbox } from './locked-member.js';
export type { OrderGrant, OrderLedgerResult, OrderRef, OrderRefund } from './order-points.js';
export type { LedgerPage } from './reads.js';
export type { SweepResult } from './sweeps.js';
export { cumulativeReversal } from './reversal.js';
export { REJECTION_REASONS, type AccountBalance, type EntryKind, type LedgerAccount, type LedgerEntry, type LedgerResult, type LedgerSource, type MemberPoints, type OpenHold, type RejectionReason } from './types.js';
export { pointsModule, pointsLedgerOf, pointsLedgerOn } from './module.js';
export { OrderPointsWorker, type MergePointInvoker } from './order-points-worker.js';
export { DEFAULT_EARN_POLICY, mergeEarnAnswers, type EarnAnswer, type EarnOutcome, type EarnPolicy } from './earn-merge.js';
