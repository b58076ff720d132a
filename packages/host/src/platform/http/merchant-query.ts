import { Type } from '@sinclair/typebox';

/**
 * The querystring of a merchant route: a merchant token acts for its own merchant; an admin names the
 * merchant to act for (`merchantScope` resolves and checks it). One schema for every route that takes it.
 */
export const MerchantQuery = Type.Object({ merchantId: Type.Optional(Type.String({ maxLength: 64, description: 'For admins: the merchant to act for' })) });
