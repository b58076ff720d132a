import { Type, type Static } from '@sinclair/typebox';

const Code = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$', description: 'the code printed on one item' });

/** A batch of product codes to register: each code names its SKU. */
export const RegisterCodesRequest = Type.Object(
  {
    batch: Type.String({ minLength: 1, maxLength: 64 }),
    codes: Type.Array(Type.Object({ code: Code, sku: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 5000 }),
  },
  { additionalProperties: false },
);
export type RegisterCodesRequest = Static<typeof RegisterCodesRequest>;

export const RegisterCodesResult = Type.Object({
  batch: Type.String(),
  /** Newly registered codes. */
  registered: Type.Integer(),
  /** Codes already registered with the same SKU and batch (a resent batch changes nothing). */
  duplicates: Type.Integer(),
});

/** A scan: `verify` (a shopper checks a code; changes nothing) or `claim` (the sale; once per code). */
export const ScanRequest = Type.Object(
  {
    scanId: Type.String({ minLength: 1, maxLength: 128, description: 'the caller’s id of this scan: the same scan sent again is a duplicate' }),
    kind: Type.Union([Type.Literal('verify'), Type.Literal('claim')]),
    code: Code,
    storeId: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type ScanRequest = Static<typeof ScanRequest>;

const ClaimFact = Type.Object({ storeId: Type.String(), at: Type.String({ format: 'date-time' }) });

export const ScanResult = Type.Object({
  scanId: Type.String(),
  kind: Type.String(),
  status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  reason: Type.Optional(Type.Union([Type.Literal('unknown_code'), Type.Literal('already_claimed')])),
  /** Registered by this merchant: what the shopper holds is genuine (as far as the code goes). */
  genuine: Type.Boolean(),
  sku: Type.Union([Type.String(), Type.Null()]),
  batch: Type.Union([Type.String(), Type.Null()]),
  /** The sale's claim of this code, if any (for an `already_claimed` refusal: the first claim). */
  claim: Type.Union([ClaimFact, Type.Null()]),
  /** A second claim of a claimed code: logged as a possible counterfeit. */
  counterfeitSuspected: Type.Boolean(),
});
export type ScanResult = Static<typeof ScanResult>;
