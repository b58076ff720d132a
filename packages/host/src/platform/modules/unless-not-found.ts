import { isTkError } from '@tongkit/sdk';

/**
 * What `lookup` finds, or undefined when it answers TK_NOT_FOUND; any other error is thrown on. For a
 * domain that asks another domain's service whether something exists (a member, an order) without
 * reading its tables: the service's TK_NOT_FOUND already covers "another merchant's".
 *
 * @example
 * const member = await unlessNotFound(members.get(merchantId, memberId, tx));
 * const active = member?.status === 'active';
 */
export async function unlessNotFound<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (isTkError(error) && error.code === 'TK_NOT_FOUND') return undefined;
    throw error;
  }
}
