import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { EVENT_PAYLOADS, type EventName, type TSchema } from '@tongkit/sdk';

const checks = new Map<string, TypeCheck<TSchema>>();

function checkOf(type: EventName, open: boolean): TypeCheck<TSchema> {
  let check = checks.get(`${type}:${open}`);
  if (!check) {
    const schema = EVENT_PAYLOADS[type] as TSchema;
    // Spread keeps TypeBox's symbol keys; only the top level opens (a tender stays a tender).
    check = TypeCompiler.Compile(open && schema['type'] === 'object' ? { ...schema, additionalProperties: true } : schema);
    checks.set(`${type}:${open}`, check);
  }
  return check;
}

/**
 * Checks an event's data against its payload schema in the SDK's catalogue (`EVENT_PAYLOADS`): what a
 * handler of a typed event is typed to receive. Returns the first mismatch with its JSON path (relative
 * to `data`), or undefined. An event the catalogue has not typed yet takes any object.
 *
 * `open` lets the data carry fields of its own beside the typed ones (top level only): what a merchant
 * publishes may, since a handler gets `EventData<E> & Record<string, unknown>` and reads those as
 * `unknown`. What the host itself emits is checked closed.
 */
export function eventDataError(type: EventName, data: unknown, options: { open?: boolean } = {}): { path: string; message: string } | undefined {
  const check = checkOf(type, options.open === true);
  if (check.Check(data)) return undefined;
  const first = check.Errors(data).First();
  return { path: first?.path ?? '', message: first?.message ?? 'does not match the event’s payload schema' };
}
