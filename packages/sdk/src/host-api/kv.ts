import { Type } from '@sinclair/typebox';
import { JsonValueSchema, MutationOptionsSchema, defineHostNamespace } from './method.js';

/** A KV key: 1–256 characters (UTF-16 units, as JavaScript counts them). */
export const KvKeySchema = Type.String({ minLength: 1, maxLength: 256 });

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
      summary: 'Stores a JSON value (at most 64 KB) at a key.',
      permission: 'storage:kv',
      mutates: true,
      params: [
        { name: 'key', schema: KvKeySchema },
        { name: 'value', schema: JsonValueSchema },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
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
