// The signature of provider callbacks: HMAC-SHA256(secret[kid], t + "." + rawBody), hex, with `t` the
// Unix time in seconds. The host compares in constant time and accepts |now − t| ≤ 300 s; replays
// inside the window are caught by the provider payment ID (docs/service-orders.md, "Callbacks").
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a callback's `t` may be from the host's clock, in seconds. */
export const CALLBACK_TOLERANCE_S = 300;

/** Signs a callback body (what a provider — and the fake provider — sends as the `signature` header). */
export function signCallback(secret: Buffer, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
}

/** True when `signature` is the HMAC of `t.rawBody` under `secret`; constant time in the signature's bytes. */
export function verifyCallbackSignature(secret: Buffer, t: number, rawBody: string, signature: string): boolean {
  const expected = Buffer.from(signCallback(secret, t, rawBody), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(expected.length);
  // A malformed signature is still compared (against zeros) so its timing says nothing; then refused.
  return timingSafeEqual(expected, given) && given.length === expected.length && /^[0-9a-f]{64}$/i.test(signature);
}

/** True when `t` (Unix seconds) is within the tolerance of `now`. */
export function withinTolerance(t: number, now: Date): boolean {
  return Math.abs(Math.floor(now.getTime() / 1000) - t) <= CALLBACK_TOLERANCE_S;
}
