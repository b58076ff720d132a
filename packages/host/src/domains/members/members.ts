import { randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { requestHash } from '../request-hash.js';
import { MemberKeyRotation, type KeyRotationOptions, type KeyRotationReport } from './key-rotation.js';
import { MemberCrypto, normalisePhone, type MemberPii as SealablePii } from './member-crypto.js';
import { MemberStore, type MemberRow } from './member-store.js';
import type { BindMemberRequest, BindResult, DeleteResult, Member, MemberPii, RegisterMemberRequest, RegisterResult, UnbindMemberRequest, UnbindResult } from './schemas.js';

/**
 * Something that may refuse a member's erasure, e.g. stored value: money the member prepaid and was not
 * refunded. Returns the refusal's stable code and a message saying what to do, or undefined.
 */
export type MemberDeletionGuard = (tx: Queryable, merchantId: string, memberId: string) => Promise<{ code: string; message: string } | undefined>;

/** A new opaque member ID: `mem_` and 26 base-32 characters (130 bits); says nothing about the person. */
export function newMemberId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return `mem_${[...randomBytes(26)].map((b) => alphabet[b & 31]).join('')}`;
}

const MEMBER_ID = /^mem_[0-9a-z]{20,40}$/;

function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    status: row.status,
    channel: row.channel,
    storeId: row.store_id,
    registeredAt: row.registered_at.toISOString(),
    hasPhone: row.phone_digest !== null,
    binding:
      row.crm_member_id === null
        ? null
        : { crmMemberId: row.crm_member_id, consentVersion: row.consent_version!, consentedAt: row.consented_at!.toISOString(), boundAt: row.bound_at!.toISOString() },
    deletedAt: row.deleted_at?.toISOString() ?? null,
  };
}

const notFound = (memberId: string, path?: string) => new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`, path ? { path } : {});

/**
 * Members (会员通): platform-first registration, consented binding to the brand CRM by a keyed phone
 * digest, unbinding, and erasure. Every method is scoped to one merchant; another merchant's member
 * answers exactly like one that does not exist (TK_NOT_FOUND). Each change and its event commit in
 * one transaction.
 */
export class Members {
  private readonly guards: MemberDeletionGuard[] = [];

  constructor(
    private readonly db: Database,
    private readonly crypto: MemberCrypto,
    private readonly publishIn: PublishInTransaction,
    /** Writes the invocation log rows still buffered, so that the erasure's purge reaches them too. */
    private readonly flushInvocationLog: () => Promise<void> = async () => undefined,
  ) {}

  /** Adds a check that may refuse a member's erasure (stored value adds one for unrefunded prepaid money). */
  addDeletionGuard(guard: MemberDeletionGuard): void {
    this.guards.push(guard);
  }

  /** A member without personal data; TK_NOT_FOUND when the merchant has no such member. */
  async get(merchantId: string, memberId: string, tx: Queryable = this.db): Promise<Member> {
    const row = MEMBER_ID.test(memberId) ? await new MemberStore(tx).get(merchantId, memberId) : undefined;
    if (!row) throw notFound(memberId);
    return toMember(row);
  }

  /** The member's personal data, decrypted: for callers holding `member:pii` only. */
  /**
   * One keyset page of the merchant's active member IDs created (in this host) up to `createdUpTo`, after
   * `afterId` in ID order: what an install's backfill walks.
   */
  async activeIdsPage(merchantId: string, createdUpTo: Date, afterId: string | null, limit: number, tx: Queryable = this.db): Promise<string[]> {
    return new MemberStore(tx).activeIdsPage(merchantId, createdUpTo, afterId, limit);
  }

  /** How many active members the merchant had created (in this host) up to `createdUpTo`. */
  async countActive(merchantId: string, createdUpTo: Date, tx: Queryable = this.db): Promise<number> {
    return new MemberStore(tx).countActive(merchantId, createdUpTo);
  }

  async pii(merchantId: string, memberId: string, tx: Queryable = this.db): Promise<MemberPii> {
    const store = new MemberStore(tx);
    const row = MEMBER_ID.test(memberId) ? await store.get(merchantId, memberId) : undefined;
    if (!row) throw notFound(memberId);
    const sealed = await store.getPii(merchantId, memberId);
    const pii = sealed ? this.crypto.open(merchantId, memberId, sealed) : { phone: null, name: null, birthday: null };
    return { memberId, phone: pii.phone, name: pii.name, birthday: pii.birthday };
  }

  /** The platform member bound to a brand CRM member ID; TK_NOT_FOUND at `path` when none is. */
  async resolveCrmMember(merchantId: string, crmMemberId: string, tx: Queryable = this.db, path = '/crmMemberId'): Promise<Member> {
    const row = await new MemberStore(tx).getByCrmMemberId(merchantId, crmMemberId);
    if (!row) throw new TkError('TK_NOT_FOUND', `no member is bound to CRM member ${crmMemberId.slice(0, 64)}`, { path });
    return toMember(row);
  }

  /**
   * Registers a platform member (it may exist before any CRM binding and keeps its history when bound).
   * With an idempotency key, the same request again is `duplicate` with the same member, another
   * request under the key TK_CONFLICT. A phone another member of the merchant registered is `rejected`
   * with `PHONE_ALREADY_REGISTERED` and that member's ID.
   */
  async register(merchantId: string, request: RegisterMemberRequest): Promise<RegisterResult> {
    const phone = request.pii?.phone === undefined ? undefined : normalisePhone(request.pii.phone, '/pii/phone');
    const hash = requestHash(request);
    return this.db.transaction(async (tx) => {
      const store = new MemberStore(tx);
      if (request.idempotencyKey !== undefined) {
        await store.lock(merchantId, 'phone', `registration:${request.idempotencyKey}`);
        const existing = await store.getByRegistrationKey(merchantId, request.idempotencyKey);
        if (existing) {
          if (existing.registration_hash !== hash) {
            throw new TkError('TK_CONFLICT', `idempotency key ${request.idempotencyKey} was used for another registration`, {
              path: '/idempotencyKey',
              hint: 'Send the same request again, or use a new key for a new registration.',
            });
          }
          return { result: 'duplicate', code: 'ALREADY_REGISTERED', memberId: existing.id, member: toMember(existing) };
        }
      }
      if (phone !== undefined) {
        await store.lock(merchantId, 'phone', this.crypto.digestPhone(merchantId, phone).digest);
        const holder = await store.getByPhone(merchantId, this.crypto.phoneDigests(merchantId, phone));
        if (holder) return { result: 'rejected', code: 'PHONE_ALREADY_REGISTERED', memberId: holder.id };
      }
      const member = await this.insertMember(tx, merchantId, {
        channel: request.channel,
        storeId: request.storeId ?? null,
        registrationKey: request.idempotencyKey ?? null,
        registrationHash: request.idempotencyKey === undefined ? null : hash,
        registeredAt: request.registeredAt === undefined ? new Date() : new Date(request.registeredAt),
        pii: { phone: phone ?? null, name: request.pii?.name ?? null, birthday: request.pii?.birthday ?? null },
      });
      return { result: 'applied', code: 'REGISTERED', memberId: member.id, member };
    });
  }

  private async insertMember(
    tx: Queryable,
    merchantId: string,
    member: { channel: 'online' | 'store'; storeId: string | null; registrationKey: string | null; registrationHash: string | null; registeredAt: Date; pii: SealablePii },
  ): Promise<Member> {
    const store = new MemberStore(tx);
    const id = newMemberId();
    await store.insert({
      merchantId,
      id,
      channel: member.channel,
      storeId: member.storeId,
      registrationKey: member.registrationKey,
      registrationHash: member.registrationHash,
      phone: member.pii.phone === null ? null : this.crypto.digestPhone(merchantId, member.pii.phone),
      registeredAt: member.registeredAt,
    });
    if (member.pii.phone !== null || member.pii.name !== null || member.pii.birthday !== null) {
      await store.putPii(merchantId, id, this.crypto.seal(merchantId, id, member.pii));
    }
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `member.registered:${id}`,
      type: 'member.registered',
      data: { memberId: id, channel: member.channel, storeId: member.storeId, registeredAt: member.registeredAt.toISOString() },
      occurredAt: member.registeredAt,
    });
    return toMember((await store.get(merchantId, id))!);
  }

  /**
   * Binds a brand CRM member to a platform member, matched by the HMAC of the normalised phone under
   * the merchant's key. Without recorded consent nothing happens (`CONSENT_MISSING`). The platform
   * member is the one named, else the one with this phone, else a new one registered now. Results are
   * stable codes (see {@link BindResult}); binding again the same pair is `duplicate`/`ALREADY_BOUND`.
   */
  async bind(merchantId: string, request: BindMemberRequest): Promise<BindResult> {
    if (!request.consent) return { result: 'rejected', code: 'CONSENT_MISSING', memberId: null, registered: false };
    const consent = request.consent;
    const phone = normalisePhone(request.phone);
    const digests = this.crypto.phoneDigests(merchantId, phone);
    return this.db.transaction(async (tx) => {
      const store = new MemberStore(tx);
      // Locks in one order (phone, then CRM ID), so two bindings never wait on each other in a cycle.
      await store.lock(merchantId, 'phone', digests[0]!.digest);
      await store.lock(merchantId, 'crm', request.crmMemberId);
      const byPhone = await store.getByPhone(merchantId, digests);
      let target: MemberRow | undefined = byPhone;
      if (request.memberId !== undefined) {
        target = MEMBER_ID.test(request.memberId) ? await store.get(merchantId, request.memberId, true) : undefined;
        if (!target || target.status === 'deleted') throw notFound(request.memberId, '/memberId');
        if (byPhone && byPhone.id !== target.id) return { result: 'rejected', code: 'PHONE_MISMATCH', memberId: target.id, registered: false };
        if (!byPhone && target.phone_digest !== null) return { result: 'rejected', code: 'PHONE_MISMATCH', memberId: target.id, registered: false };
      }
      const byCrm = await store.getByCrmMemberId(merchantId, request.crmMemberId);
      if (byCrm) {
        const code = target && byCrm.id === target.id ? 'ALREADY_BOUND' : 'CRM_MEMBER_BOUND_TO_OTHER';
        return { result: code === 'ALREADY_BOUND' ? 'duplicate' : 'rejected', code, memberId: byCrm.id, registered: false };
      }
      if (target?.crm_member_id != null) return { result: 'rejected', code: 'PHONE_BOUND_TO_OTHER', memberId: target.id, registered: false };

      const boundAt = request.boundAt === undefined ? new Date() : new Date(request.boundAt);
      let registered = false;
      if (!target) {
        const created = await this.insertMember(tx, merchantId, {
          channel: request.channel ?? 'online',
          storeId: null,
          registrationKey: null,
          registrationHash: null,
          registeredAt: boundAt,
          pii: { phone, name: null, birthday: null },
        });
        target = (await store.get(merchantId, created.id, true))!;
        registered = true;
      } else if (target.phone_digest === null) {
        // The member registered without a phone: the binding's phone becomes its phone.
        await store.setPhone(merchantId, target.id, this.crypto.digestPhone(merchantId, phone));
        const sealed = await store.getPii(merchantId, target.id);
        const pii = sealed ? this.crypto.open(merchantId, target.id, sealed) : { phone: null, name: null, birthday: null };
        await store.putPii(merchantId, target.id, this.crypto.seal(merchantId, target.id, { ...pii, phone }));
      }
      await store.insertBinding({ merchantId, memberId: target.id, crmMemberId: request.crmMemberId, consentVersion: consent.textVersion, consentedAt: new Date(consent.consentedAt), boundAt });
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `member.bound:${target.id}:${request.crmMemberId}:${boundAt.getTime()}`,
        type: 'member.bound',
        data: { memberId: target.id, crmMemberId: request.crmMemberId, consentVersion: consent.textVersion, boundAt: boundAt.toISOString() },
        occurredAt: boundAt,
      });
      return { result: 'applied', code: 'BOUND', memberId: target.id, registered };
    });
  }

  /** Removes the CRM binding only: the member, its history and its personal data stay. */
  async unbind(merchantId: string, request: UnbindMemberRequest): Promise<UnbindResult> {
    if ((request.memberId === undefined) === (request.crmMemberId === undefined)) {
      throw new TkError('TK_VALIDATION', 'name the binding by exactly one of memberId and crmMemberId', { path: request.memberId === undefined ? '/memberId' : '/crmMemberId' });
    }
    const unboundAt = request.unboundAt === undefined ? new Date() : new Date(request.unboundAt);
    return this.db.transaction(async (tx) => {
      const store = new MemberStore(tx);
      let row: MemberRow | undefined;
      if (request.crmMemberId !== undefined) {
        await store.lock(merchantId, 'crm', request.crmMemberId);
        row = await store.getByCrmMemberId(merchantId, request.crmMemberId);
        if (!row) return { result: 'duplicate', code: 'NOT_BOUND', memberId: null };
      } else {
        const memberId = request.memberId!;
        const seen = MEMBER_ID.test(memberId) ? await store.get(merchantId, memberId) : undefined;
        if (!seen) throw notFound(memberId, '/memberId');
        // The CRM ID's lock before the member's row: the order binding takes them in.
        if (seen.crm_member_id !== null) await store.lock(merchantId, 'crm', seen.crm_member_id);
        row = (await store.get(merchantId, memberId, true))!;
        if (row.crm_member_id === null) return { result: 'duplicate', code: 'NOT_BOUND', memberId: row.id };
      }
      await this.removeBinding(tx, merchantId, row, unboundAt);
      return { result: 'applied', code: 'UNBOUND', memberId: row.id };
    });
  }

  private async removeBinding(tx: Queryable, merchantId: string, row: MemberRow, at: Date): Promise<void> {
    if (row.crm_member_id === null) return;
    await new MemberStore(tx).deleteBinding(merchantId, row.id);
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `member.unbound:${row.id}:${row.crm_member_id}:${at.getTime()}`,
      type: 'member.unbound',
      data: { memberId: row.id, crmMemberId: row.crm_member_id, unboundAt: at.toISOString() },
      occurredAt: at,
    });
  }

  /**
   * Erases a member at its request: removes the binding and the personal data, keeps the member row and
   * its accounting (orders, ledger entries) linked to the opaque ID only, purges its logged plugin
   * inputs, the log lines naming it and the plugin KV entries stored with it, and emits `member.redact`
   * so every plugin purges what it kept. Refused (`rejected`, with the reason and what to do) while a
   * deletion guard objects, e.g. unrefunded prepaid money.
   */
  async delete(merchantId: string, memberId: string, options: { requestedAt?: Date } = {}): Promise<DeleteResult> {
    const requestedAt = options.requestedAt ?? new Date();
    // Rows of calls this process made before now reach the table first; a call still running on another
    // host as the erasure commits may log its input after the purge (as before the log was written behind).
    await this.flushInvocationLog();
    return this.db.transaction(async (tx) => {
      const store = new MemberStore(tx);
      const seen = MEMBER_ID.test(memberId) ? await store.get(merchantId, memberId) : undefined;
      if (!seen) throw notFound(memberId);
      // The CRM ID's lock before the member's row: the order binding takes them in.
      if (seen.crm_member_id !== null) await store.lock(merchantId, 'crm', seen.crm_member_id);
      const row = (await store.get(merchantId, memberId, true))!;
      if (row.status === 'deleted') return { result: 'duplicate', code: 'ALREADY_DELETED', memberId };
      for (const guard of this.guards) {
        const refusal = await guard(tx, merchantId, memberId);
        if (refusal) return { result: 'rejected', code: refusal.code, memberId, message: refusal.message };
      }
      await this.removeBinding(tx, merchantId, row, requestedAt);
      await store.deletePii(merchantId, memberId);
      await store.markDeleted(merchantId, memberId, requestedAt);
      const purged = await store.purgeTraces(merchantId, memberId);
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `member.redact:${memberId}`,
        type: 'member.redact',
        data: { memberId, requestedAt: requestedAt.toISOString() },
        occurredAt: requestedAt,
      });
      return { result: 'applied', code: 'DELETED', memberId, purged };
    });
  }

  /**
   * Re-encrypts personal data and re-makes phone digests under the active host key, in batches
   * (resumable, idempotent; see {@link MemberKeyRotation}). Run after making a new key active while the
   * old one is still in the ring; when the report says `done`, the old key can be removed.
   */
  async rotateKeys(options: KeyRotationOptions = {}): Promise<KeyRotationReport> {
    return new MemberKeyRotation(this.db, this.crypto).rotate(options);
  }

  /** Where a key rotation stands (rows per key ID, what is left), changing nothing. */
  async keyStatus(): Promise<KeyRotationReport> {
    return new MemberKeyRotation(this.db, this.crypto).status();
  }
}
