import { Type, type Static } from '@sinclair/typebox';
import { Fen, MemberId } from '../catalogue/shared.js';
import { defineHostNamespace } from './method.js';

/** A member's stored value (会员宝): prepaid money in integer fen, split into principal and bonus. */
export const StoredValueBalanceSchema = Type.Object(
  {
    memberId: MemberId,
    balanceFen: Fen({ description: 'Spendable: principal + bonus, never below zero' }),
    principalFen: Fen({ description: 'What the member paid in and has not spent (refundable)' }),
    bonusFen: Fen({ description: 'Top-up bonus not spent yet (forfeited when its top-up is refunded)' }),
  },
  { $id: 'StoredValueBalance' },
);
/** A member's stored-value balance. */
export type StoredValueBalance = Static<typeof StoredValueBalanceSchema>;

/**
 * `ctx.storedValue`: read-only. Stored value is spent only through the host's checkout, never by a
 * plugin, so the namespace has no mutation (docs/checkout.md).
 */
export const STORED_VALUE_HOST_API = defineHostNamespace({
  summary: 'Read members’ prepaid (会员宝) balances.',
  methods: {
    balance: {
      summary: 'A member’s stored value: balance, principal and bonus in fen (a member without any: zeros).',
      permission: 'stored-value:read',
      params: [{ name: 'memberId', schema: MemberId }],
      result: StoredValueBalanceSchema,
    },
  },
});
