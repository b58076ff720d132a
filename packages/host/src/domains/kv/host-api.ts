import type { BatchHostCall, HostApiBinding } from '../../platform/modules/host-module.js';
import { KvStore } from './kv-store.js';

const storeOf = (call: BatchHostCall) => new KvStore(call.tx, call.installId);

/**
 * `ctx.kv`, answered inside the delivery batch's transaction. KV is the one namespace allowed there: its
 * rows are the install's own (no till or other request ever waits on them), and answering in the batch
 * saves a commit — a WAL flush — per call (measured in docs/architecture.md). Every other namespace is
 * bound `own` and commits through runHostCall.
 */
export const kvHostApi: HostApiBinding<'kv'> = {
  transaction: 'delivery-batch',
  handlers: {
    get: (call, key) => storeOf(call).get(key),
    set: (call, key, value, options) => storeOf(call).set(key, value, options),
    delete: (call, key, options) => storeOf(call).delete(key, options),
    increment: (call, key, by, options) => storeOf(call).increment(key, by, options),
  },
};
