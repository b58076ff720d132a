import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';
import { OrderId } from '../events/orders.js';
import { StoreRef } from './appointments.js';
import { defineHostNamespace, MutationOptionsSchema } from './method.js';

/** An e-voucher's serial number. */
export const VoucherSerial = Type.String({ pattern: '^V[0-9A-F]{16}$', description: 'The serial printed on the voucher' });
/** A voucher template id. */
export const VoucherTemplateId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' });

/** An e-voucher with its counts: initial = available + locked + used. */
export const Voucher = Type.Object(
  {
    serial: VoucherSerial,
    templateId: VoucherTemplateId,
    memberId: Type.Union([MemberId, Type.Null()]),
    orderId: Type.Union([OrderId, Type.Null()], { description: 'The service order it was issued for (null: a gift)' }),
    stageNo: Type.Union([Type.Integer(), Type.Null()]),
    initial: Type.Integer({ minimum: 1 }),
    available: Type.Integer({ minimum: 0 }),
    locked: Type.Integer({ minimum: 0 }),
    used: Type.Integer({ minimum: 0 }),
    validUntil: Timestamp(),
  },
  { additionalProperties: false },
);
export type Voucher = Static<typeof Voucher>;

/** A voucher template: a free service covering a stage kind, or a value; uses, validity, stores. */
export const VoucherTemplate = Type.Object(
  {
    id: VoucherTemplateId,
    title: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Union([Type.Literal('free_service'), Type.Literal('value')]),
    serviceKind: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The stage kind a free service covers, e.g. measurement' })),
    valueFen: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    validDays: Type.Integer({ minimum: 1, maximum: 3660 }),
    storeIds: Type.Optional(Type.Array(StoreRef, { maxItems: 500, description: 'Empty or absent: valid in every store' })),
  },
  { additionalProperties: false },
);
export type VoucherTemplate = Static<typeof VoucherTemplate>;

/** The outcome of issuing: the same issue key answers the same voucher (`duplicate`). */
export const VoucherIssueResult = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]), voucher: Voucher }, { additionalProperties: false });

/** Why a redemption or precheck was refused (stable codes). */
export const VOUCHER_REJECTIONS = ['expired', 'used_up', 'not_valid_here', 'not_found'] as const;

/** The outcome of a redemption: `applied` once, `duplicate` for its request ID again, `rejected` with a code. */
export const VoucherRedemptionResult = Type.Object(
  {
    result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    code: Type.Optional(Type.Union(VOUCHER_REJECTIONS.map((code) => Type.Literal(code)))),
    redemptionId: Type.Optional(Type.String()),
    voucher: Voucher,
  },
  { additionalProperties: false },
);
export type VoucherRedemptionResult = Static<typeof VoucherRedemptionResult>;

/** What a precheck at a store answers: whether the voucher can be redeemed there now, and for which stage. */
export const VoucherPrecheck = Type.Object(
  {
    valid: Type.Boolean(),
    code: Type.Optional(Type.Union(VOUCHER_REJECTIONS.map((code) => Type.Literal(code)))),
    voucher: Type.Union([Voucher, Type.Null()]),
    stage: Type.Optional(Type.Union([Type.Object({ orderId: OrderId, stageNo: Type.Integer() }, { additionalProperties: false }), Type.Null()])),
  },
  { additionalProperties: false },
);

/** `ctx.vouchers`: the install's merchant's e-vouchers. Another merchant's voucher is TK_NOT_FOUND. */
export const VOUCHERS_HOST_API = defineHostNamespace({
  summary: 'E-vouchers (电子凭证): issue to members, redeem at stores, counts initial / available / used / locked.',
  methods: {
    get: {
      summary: 'A voucher by serial, with its counts.',
      permission: 'vouchers:read',
      params: [{ name: 'serial', schema: VoucherSerial }],
      result: Voucher,
    },
    issue: {
      summary: 'Issues a voucher of a template to a member (for a stage of a service order, or as a gift).',
      permission: 'vouchers:write',
      mutates: true,
      params: [
        { name: 'templateId', schema: VoucherTemplateId },
        {
          name: 'to',
          schema: Type.Object(
            { memberId: Type.Union([MemberId, Type.Null()]), orderId: Type.Optional(OrderId), stageNo: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })) },
            { additionalProperties: false },
          ),
        },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: VoucherIssueResult,
    },
    redeem: {
      summary: 'Redeems one use at a store (locked, then used); never twice, also when stores race.',
      permission: 'vouchers:write',
      mutates: true,
      params: [
        { name: 'serial', schema: VoucherSerial },
        { name: 'storeId', schema: StoreRef },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: VoucherRedemptionResult,
    },
  },
});
