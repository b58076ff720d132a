import { HOST_API, getHostMethod, TK_ERROR_CODES, TkError, type EventBudget, type Permission, type TongkitEvent } from '@tongkit/sdk';
import type { EventHost, EventMeasurements, EventResult } from '../contract.js';
import type { PluginIsolate } from './plugin-isolate.js';
import { MAX_ERROR_ENVELOPE_CHARS } from './prelude.js';
import { mapGuestStack } from './source-map.js';
import { nestsDeeperThan } from './validation.js';

/** How deep the arguments of a host call may nest (the list of arguments is level 1). */
export const MAX_HOST_CALL_ARGS_DEPTH = 64;

/**
 * The policy every host call passes, in this order: the per-event cap, a known namespace and method of
 * the host-API catalogue (`HOST_API`), the method's permission
 * both granted to the install and declared by the manifest, arguments within the size limit. Returns the
 * refusal, if any; a `violation` fails the whole invocation even if the plugin catches it. Used by the
 * runtime before a call leaves the sandbox, and again by the worker pool before it reaches the host.
 */
export function refuseHostCall(
  call: { event: string; count: number; namespace: string; method: string; argsBytes: number },
  granted: readonly Permission[],
  declared: readonly Permission[],
  budget: EventBudget,
): { error: TkError; violation: boolean } | undefined {
  const { namespace, method } = call;
  if (call.count > budget.hostCalls) {
    return { violation: true, error: new TkError('TK_HOST_CALL_LIMIT', `${call.event} made more than ${budget.hostCalls} host calls`, { details: { limit: budget.hostCalls } }) };
  }
  if (!Object.hasOwn(HOST_API, namespace)) return { violation: false, error: new TkError('TK_NOT_FOUND', `there is no host API ctx.${namespace}`) };
  const spec = getHostMethod(namespace, method);
  // A guest-side method (ctx.log.*) never crosses: a host call naming one did not come from the prelude.
  if (!spec || spec.runs === 'guest') return { violation: false, error: new TkError('TK_NOT_FOUND', `ctx.${namespace} has no method ${method}`, { fault: 'plugin' }) };
  // Per method, from the host-API catalogue: a read and a write of one namespace may need different permissions.
  const permission = spec.permission;
  if (permission && !granted.includes(permission)) {
    return {
      violation: true,
      error: new TkError('TK_PERMISSION_DENIED', `ctx.${namespace}.${method} needs the ${permission} permission, which this install was not granted`, {
        details: { permission, namespace, method },
      }),
    };
  }
  if (permission && !declared.includes(permission)) {
    return {
      violation: true,
      error: new TkError('TK_PERMISSION_DENIED', `ctx.${namespace}.${method} needs the ${permission} permission, which the plugin's manifest does not declare`, {
        hint: `Declare '${permission}' in \`permissions\` (definePlugin), rebuild, and have the merchant consent to it.`,
        details: { permission, namespace, method, declared: false },
      }),
    };
  }
  // The prelude refuses larger arguments before they cross; this is the authoritative check.
  if (call.argsBytes > budget.hostCallArgsBytes) {
    return {
      violation: false,
      error: new TkError('TK_VALIDATION', `ctx.${namespace}.${method} arguments are ${call.argsBytes} bytes of JSON, over the ${budget.hostCallArgsBytes}-byte limit of a host call`, {
        fault: 'plugin',
        details: { bytes: call.argsBytes, limit: budget.hostCallArgsBytes },
      }),
    };
  }
  return undefined;
}

/**
 * Runs one event through an event isolate. Host calls are checked here — the namespace exists, the
 * permission is granted, the cap is not exceeded — before the host sees them. A policy violation (no
 * permission, too many calls) fails the invocation even if the plugin catches the error, so its
 * effects roll back with the delivery's transaction.
 */
export async function runEvent(input: {
  isolate: PluginIsolate;
  isolateState: 'warm' | 'cold';
  event: TongkitEvent;
  /** The event as {@link encodeEvent} checked and encoded it. */
  eventJson: string;
  settingsJson: string;
  host: EventHost;
  budget: EventBudget;
  sourceMap: string | undefined;
  /** The permissions the plugin's manifest asks for: a grant beyond them (say, kept from an earlier version) does not count. */
  declaredPermissions: readonly Permission[];
}): Promise<EventResult> {
  const { isolate, event, eventJson, host, budget } = input;
  const measurements: EventMeasurements = { cpuMicros: 0, wallMicros: 0, heapUsedBytes: 0, hostCalls: 0, inputBytes: Buffer.byteLength(eventJson), isolate: input.isolateState };
  let violation: TkError | undefined;

  const onHostCall = async (namespace: string, method: string, argsJson: string): Promise<unknown> => {
    measurements.hostCalls++;
    const refusal = refuseHostCall(
      { event: event.type, count: measurements.hostCalls, namespace, method, argsBytes: Buffer.byteLength(argsJson) },
      host.permissions,
      input.declaredPermissions,
      budget,
    );
    if (refusal?.violation) {
      violation ??= refusal.error;
      throw violation;
    }
    if (refusal) throw refusal.error;
    let args: unknown;
    try {
      args = JSON.parse(argsJson);
    } catch {
      throw new TkError('TK_VALIDATION', `ctx.${namespace}.${method} arguments are not JSON`);
    }
    if (!Array.isArray(args)) throw new TkError('TK_VALIDATION', `ctx.${namespace}.${method} arguments are not a list`);
    // Checked before the host's own (recursive) serialisers see them.
    if (nestsDeeperThan(args, MAX_HOST_CALL_ARGS_DEPTH)) {
      throw new TkError('TK_VALIDATION', `ctx.${namespace}.${method} arguments nest deeper than ${MAX_HOST_CALL_ARGS_DEPTH} levels`, { fault: 'plugin', details: { limit: MAX_HOST_CALL_ARGS_DEPTH } });
    }
    return host.call(namespace, method, args);
  };

  const fail = (error: TkError, logs: EventResult['logs'] = [], truncated = false): EventResult => ({ ok: false, error, logs, logsTruncated: truncated, measurements });
  try {
    const call = await isolate.callEvent(
      {
        name: event.type,
        eventJson,
        settingsJson: input.settingsJson,
        merchantId: host.merchantId,
        nowMs: Date.parse(event.occurredAt) || 0,
        logCap: budget.logBytes,
        wallMs: budget.wallMs,
        maxEnvelopeChars: budget.logBytes * 6 + MAX_ERROR_ENVELOPE_CHARS,
        maxHostCalls: budget.hostCalls,
        maxHostCallArgsBytes: budget.hostCallArgsBytes,
      },
      onHostCall,
    );
    Object.assign(measurements, { cpuMicros: call.cpuMicros, wallMicros: call.wallMicros, heapUsedBytes: call.heapUsedBytes });
    const { envelope } = call;
    if (violation) return fail(violation, envelope.l, envelope.t);
    if (envelope.e) {
      const stack = mapGuestStack(envelope.e.stack, input.sourceMap);
      const code = (envelope.e as { code?: unknown }).code;
      // Only a known code: the plugin can set any `code` on its own errors.
      const hostErrorCode = typeof code === 'string' && Object.hasOwn(TK_ERROR_CODES, code) ? code : undefined;
      return fail(new TkError('TK_PLUGIN_ERROR', `${event.type} handler threw ${envelope.e.name}: ${envelope.e.message}`, { details: { stack, ...(hostErrorCode ? { hostErrorCode } : {}) } }), envelope.l, envelope.t);
    }
    if (envelope.m !== undefined) return fail(new TkError('TK_PLUGIN_ERROR', envelope.m), envelope.l, envelope.t);
    return { ok: true, logs: envelope.l, logsTruncated: envelope.t, measurements };
  } catch (error) {
    if (error instanceof TkError) {
      if (typeof error.details?.wallMicros === 'number') measurements.wallMicros = error.details.wallMicros;
      if (typeof error.details?.cpuMicros === 'number') measurements.cpuMicros = error.details.cpuMicros;
      return fail(violation ?? error);
    }
    return fail(new TkError('TK_INTERNAL', `event invocation failed: ${String(error)}`, { cause: error }));
  }
}
