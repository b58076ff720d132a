import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';

/**
 * How many members one `install.backfill` page carries at most (the host's page size): small enough
 * that a handler making up to two host calls per member stays within an event handler's host-call
 * budget (50 calls).
 */
export const BACKFILL_PAGE_SIZE = 25;

/**
 * `install.created`: the merchant installed the plugin. Delivered to that install only (never to the
 * merchant's other installs), once, after the install commits; a handler can set up what the install
 * needs (KV defaults, a welcome log). The members who existed before the install arrive separately, as
 * `install.backfill` pages.
 */
export const InstallCreatedData = Type.Object(
  {
    installId: Type.String(),
    plugin: Type.String(),
    version: Type.String(),
    createdAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type InstallCreatedData = Static<typeof InstallCreatedData>;

/**
 * `install.backfill`: one page of the merchant's members who existed when the plugin was installed, in
 * member-ID order, delivered to that install only. The host sends the next page when this one's delivery
 * succeeded, so pages arrive one at a time; a page that dead-letters stops the backfill (`failed`, in the
 * install's status) until the merchant resumes it. Members registered after the install arrive as
 * `member.registered` instead; erased members are left out. Like every event, a page may be delivered
 * more than once: key the handler's writes by `event.id` and the member.
 */
export const InstallBackfillData = Type.Object(
  {
    installId: Type.String(),
    page: Type.Integer({ minimum: 1, description: 'The page number, from 1' }),
    memberIds: Type.Array(MemberId, { maxItems: BACKFILL_PAGE_SIZE }),
    membersBefore: Type.Integer({ minimum: 0, description: 'Members in the pages before this one' }),
    membersTotal: Type.Integer({ minimum: 0, description: 'Members in the whole backfill (counted when it started)' }),
    last: Type.Boolean({ description: 'Whether this is the last page' }),
    snapshotAt: Timestamp({ description: 'Members registered up to this time are in the backfill' }),
  },
  { additionalProperties: false },
);
export type InstallBackfillData = Static<typeof InstallBackfillData>;
