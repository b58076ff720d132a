import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TkErrorJSON } from '@tongkit/sdk';
import type { Measurements } from '@tongkit/runtime';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A TK_* error body (`TkErrorJSON`). */
export const TkErrorSchema = Type.Unsafe<TkErrorJSON>(
  Type.Object({
    code: Type.String({ description: 'A stable TK_* code' }),
    message: Type.String(),
    fault: Type.Union([Type.Literal('user'), Type.Literal('plugin'), Type.Literal('platform')]),
    hint: Type.String(),
    path: Type.Optional(Type.String({ description: 'JSON path of the part at fault' })),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
);

/** Where a decision came from. */
export const DecisionSourceSchema = Type.Union([Type.Literal('plugin'), Type.Literal('fallback'), Type.Literal('platform')], {
  description: '`plugin`: the plugin decided; `fallback`: it failed or is paused and the point’s default applied; `platform`: no install serves the point',
});

/** The decision the host applies, and how it was reached. */
export const ExtensionDecisionSchema = Type.Object({
  invocationId: Type.String(),
  point: Type.String(),
  output: Type.Unknown({ description: 'The point’s output (its schema is the extension point’s)' }),
  source: DecisionSourceSchema,
  installId: Nullable(Type.String()),
  plugin: Nullable(Type.String()),
  error: Nullable(TkErrorSchema),
  // The runtime owns the measurements' shape (@tongkit/runtime's Measurements); they pass through whole.
  measurements: Nullable(Type.Unsafe<Measurements>(Type.Object({}, { additionalProperties: true, description: 'CPU, heap and bytes of the call' }))),
});

/** Where a decision came from. */
export type DecisionSource = Static<typeof DecisionSourceSchema>;
/** The decision the host applies, and how it was reached. */
export type ExtensionDecision = Static<typeof ExtensionDecisionSchema>;
