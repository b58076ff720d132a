import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { HostKeyRing } from '../../platform/host-keys.js';

/** A member's personal data as it is encrypted: every field optional. */
export interface MemberPii {
  phone: string | null;
  name: string | null;
  /** `YYYY-MM-DD` */
  birthday: string | null;
}

/** An AES-256-GCM ciphertext with the key that made it. */
export interface SealedPii {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** A phone digest with the key that made it. */
export interface PhoneDigest {
  keyId: string;
  digest: string;
}

const SALT = Buffer.from('tongkit/members/v1');

/**
 * The members' cryptography, per merchant: keys are derived from each host key with HKDF-SHA256 and
 * the merchant ID, so the same phone number gives unrelated digests at two merchants, and a key of one
 * merchant opens nothing of another's. Digests are HMAC-SHA256 of the normalised phone (a plain salted
 * hash of an 11-digit number is brute-forced in minutes); personal data is AES-256-GCM with the
 * (merchant, member) pair as authenticated data.
 */
export class MemberCrypto {
  private readonly derived = new Map<string, Buffer>();

  constructor(private readonly ring: HostKeyRing) {}

  get activeKeyId(): string {
    return this.ring.activeKeyId;
  }

  private key(keyId: string, purpose: 'phone-digest' | 'pii', merchantId: string): Buffer {
    const cacheKey = `${keyId}\0${purpose}\0${merchantId}`;
    let key = this.derived.get(cacheKey);
    if (!key) {
      const hostKey = this.ring.keys.get(keyId);
      if (!hostKey) {
        throw new TkError('TK_INTERNAL', `host key ${keyId} is not configured, but data was made with it`, {
          hint: 'Add the key back to the host key ring (TONGKIT_HOST_KEY or the key file) and run the key rotation.',
        });
      }
      key = Buffer.from(hkdfSync('sha256', hostKey, SALT, `${purpose}:${merchantId}`, 32));
      if (this.derived.size > 10_000) this.derived.clear();
      this.derived.set(cacheKey, key);
    }
    return key;
  }

  /** The phone's digest under the active key. */
  digestPhone(merchantId: string, normalisedPhone: string, keyId = this.ring.activeKeyId): PhoneDigest {
    const digest = createHmac('sha256', this.key(keyId, 'phone-digest', merchantId)).update(normalisedPhone).digest('hex');
    return { keyId, digest };
  }

  /** The phone's digest under every key of the ring (active first): what a lookup during a rotation matches. */
  phoneDigests(merchantId: string, normalisedPhone: string): PhoneDigest[] {
    const ids = [this.ring.activeKeyId, ...[...this.ring.keys.keys()].filter((id) => id !== this.ring.activeKeyId)];
    return ids.map((id) => this.digestPhone(merchantId, normalisedPhone, id));
  }

  seal(merchantId: string, memberId: string, pii: MemberPii): SealedPii {
    const keyId = this.ring.activeKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId, 'pii', merchantId), iv);
    cipher.setAAD(Buffer.from(`${merchantId}\0${memberId}`));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(pii), 'utf8'), cipher.final()]);
    return { keyId, iv, tag: cipher.getAuthTag(), ciphertext };
  }

  open(merchantId: string, memberId: string, sealed: SealedPii): MemberPii {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(sealed.keyId, 'pii', merchantId), sealed.iv);
      decipher.setAAD(Buffer.from(`${merchantId}\0${memberId}`));
      decipher.setAuthTag(sealed.tag);
      return JSON.parse(Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8')) as MemberPii;
    } catch (error) {
      if (error instanceof TkError) throw error;
      throw new TkError('TK_INTERNAL', `the personal data of member ${memberId} does not decrypt with key ${sealed.keyId}`, { cause: error });
    }
  }
}

/**
 * Normalises a phone number to E.164: separators (spaces, dashes, dots, parentheses) dropped, `00` read
 * as `+`, and a bare 11-digit mainland mobile number (`1[3-9]…`) given `+86`. Anything else is
 * TK_VALIDATION at `path`. `+86 138-0013-8000`, `008613800138000` and `13800138000` are all
 * `+8613800138000`.
 */
export function normalisePhone(phone: string, path = '/phone'): string {
  const compact = phone.trim().replace(/[\s().-]/g, '').replace(/^00/, '+');
  const e164 = /^1[3-9]\d{9}$/.test(compact) ? `+86${compact}` : compact;
  if (!/^\+[1-9]\d{6,14}$/.test(e164) || (e164.startsWith('+86') && !/^\+861[3-9]\d{9}$/.test(e164))) {
    throw new TkError('TK_VALIDATION', 'not a phone number: give an 11-digit mainland mobile number or an international number starting with +', { path });
  }
  return e164;
}
