import { TkError } from '@tongkit/sdk';
import { storableText } from '../../platform/storage/storable-text.js';

/** The most points one mutation moves: far beyond any real grant, far below 2^53 after summing. */
export const MAX_POINTS = 1_000_000_000_000;
/** Holds last 15 minutes unless asked otherwise, and at most a day. */
export const DEFAULT_HOLD_TTL_MS = 15 * 60_000;
export const MAX_HOLD_TTL_MS = 24 * 60 * 60_000;

const refuse = (message: string, path: string): never => {
  throw new TkError('TK_VALIDATION', message, { path });
};

/** A positive whole number of points (or fen) up to {@link MAX_POINTS}. */
export function requireAmount(value: unknown, path: string, { allowZero = false } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1) || value > MAX_POINTS) {
    refuse(`must be a whole number from ${allowZero ? 0 : 1} to ${MAX_POINTS}`, path);
  }
  return value as number;
}

/** Text of 1–`max` characters that PostgreSQL can store (no NUL, no lone surrogate). */
export function requireText(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) refuse(`must be text of 1–${max} characters`, path);
  if (storableText(value as string) !== value) refuse('holds a NUL character or half of a character, which storage cannot keep', path);
  return value as string;
}

export const requireMemberId = (value: unknown, path = '/memberId'): string => requireText(value, path, 128);
export const requireIdempotencyKey = (value: unknown, path = '/idempotencyKey'): string => requireText(value, path, 256);
export const requireReason = (value: unknown, path = '/reason'): string => requireText(value, path, 200);

/**
 * An expiry: an ISO 8601 time (or Date), or null/undefined for points that never expire. With `now`, it
 * must be later. A request is checked against the clock only once it is known not to be a redelivery
 * (which answers with its first outcome, however late it comes).
 */
export function requireExpiry(value: unknown, path: string, now?: Date): Date | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value : typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) return refuse('must be an ISO 8601 date-time such as 2027-12-31T16:00:00Z, or null', path);
  if (now) requireLater(date as Date, path, now);
  return date;
}

/** A hold's time to live in ms: default 15 minutes, from 1 second to a day. */
export function requireHoldTtl(value: unknown, path = '/ttlMs'): number {
  if (value === undefined) return DEFAULT_HOLD_TTL_MS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1000 || value > MAX_HOLD_TTL_MS) {
    refuse(`must be a whole number of milliseconds from 1000 to ${MAX_HOLD_TTL_MS}`, path);
  }
  return value as number;
}

/** Refuses an expiry that is not later than `now`: points that are already expired cannot be granted. */
export function requireLater(date: Date | null, path: string, now: Date): void {
  if (date && date.getTime() <= now.getTime()) refuse('must be later than now (points that are already expired cannot be granted)', path);
}
