import { Type } from '@sinclair/typebox';
import { MemberId } from '../catalogue/shared.js';
import { IdempotencyKeySchema, JsonValueSchema, MutationOptionsSchema, defineHostNamespace } from './method.js';

/** A KV key: 1–256 characters (UTF-16 units, as JavaScript counts them). */
export const KvKeySchema = Type.String({ minLength: 1, maxLength: 256 });

/**
 * Options of `kv.set`: an idempotency key, and the member the value is about. An entry stored with a
 * `memberId` is purged by the host itself when that member asks to be erased (`member.redact`).
 */
export const KvSetOptionsSchema = Type.Object(
  {
    idempotencyKey: Type.Optional(IdempotencyKeySchema),
    memberId: Type.Optional(MemberId),
  },
  { additionalProperties: true },
);

/**
 * `ctx.kv`: the install's own key-value storage (`storage:kv`), purged when the merchant uninstalls.
 * Values are JSON (at most 64 KB each); mutations take an idempotency key.
 */
export const KV_HOST_API = defineHostNamespace({
  summary: 'The install’s own key-value storage, purged when the merchant uninstalls.',
  methods: {
    get: {
      summary: 'Reads the value at a key; undefined when there is none.',
      permission: 'storage:kv',
      params: [{ name: 'key', schema: KvKeySchema }],
      result: Type.Union([JsonValueSchema, Type.Undefined()]),
    },
    set: {
      summary: 'Stores a JSON value (at most 64 KB) at a key; with `memberId`, the host purges it when that member is erased.',
      permission: 'storage:kv',
      mutates: true,
      params: [
        { name: 'key', schema: KvKeySchema },
        { name: 'value', schema: JsonValueSchema },
        { name: 'options', schema: KvSetOptionsSchema, optional: true },
      ],
      result: Type.Void(),
    },
    delete: {
      summary: 'Removes the value at a key (nothing when there is none).',
      permission: 'storage:kv',
      mutates: true,
      params: [
        { name: 'key', schema: KvKeySchema },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: Type.Void(),
    },
    increment: {
      summary: 'Adds `by` to a numeric value (0 when absent) and returns the new value.',
      permission: 'storage:kv',
      mutates: true,
      params: [
        { name: 'key', schema: KvKeySchema },
        { name: 'by', schema: Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }) },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: Type.Integer(),
    },
  },
});
