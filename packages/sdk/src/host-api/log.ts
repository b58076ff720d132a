import { Type } from '@sinclair/typebox';
import { JsonValueSchema, defineHostNamespace } from './method.js';

const message = { name: 'message', schema: Type.String() } as const;
const data = { name: 'data', schema: JsonValueSchema, optional: true } as const;

/**
 * `ctx.log`: structured logs the merchant and the developer see in `tongkit logs`. Answered inside the
 * sandbox (buffered within the invocation's log limit), so it needs no permission and costs no host call.
 */
export const LOG_HOST_API = defineHostNamespace({
  summary: 'Structured logs the merchant and the developer see in `tongkit logs`.',
  methods: {
    info: { summary: 'Logs at info level.', permission: null, runs: 'guest', params: [message, data], result: Type.Void() },
    warn: { summary: 'Logs at warn level.', permission: null, runs: 'guest', params: [message, data], result: Type.Void() },
    error: { summary: 'Logs at error level.', permission: null, runs: 'guest', params: [message, data], result: Type.Void() },
  },
});
