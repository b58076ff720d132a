import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';
import { GuideId, RelationSource } from '../events/guides.js';
import { defineHostNamespace } from './method.js';

/** A guide as the API and `ctx.guides.get` return it. */
export const Guide = Type.Object(
  {
    id: GuideId,
    storeId: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.Literal('guide'), Type.Literal('store_manager'), Type.Literal('area_manager')]),
    status: Type.Union([Type.Literal('active'), Type.Literal('left')]),
    leftAt: Type.Union([Timestamp(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type Guide = Static<typeof Guide>;

/** A member's current relation to a guide. */
export const GuideRelation = Type.Object(
  {
    memberId: MemberId,
    guideId: GuideId,
    source: RelationSource,
    boundAt: Timestamp(),
    protectedUntil: Type.Union([Timestamp(), Type.Null()], { description: 'until then another guide cannot take the member (a manager may override)' }),
  },
  { additionalProperties: false },
);
export type GuideRelation = Static<typeof GuideRelation>;

/**
 * `ctx.guides` (`guides:read`): the merchant's store guides and members' relations to them. Reads only;
 * relations change through the merchant's routes, never a plugin or a guide.
 */
export const GUIDES_HOST_API = defineHostNamespace({
  summary: 'The merchant’s store guides and each member’s current guide.',
  methods: {
    get: { summary: 'A guide of the install’s merchant.', permission: 'guides:read', params: [{ name: 'guideId', schema: GuideId }], result: Guide },
    relationOf: {
      summary: 'A member’s current guide relation, or null.',
      permission: 'guides:read',
      params: [{ name: 'memberId', schema: MemberId }],
      result: Type.Union([GuideRelation, Type.Null()]),
    },
  },
});
