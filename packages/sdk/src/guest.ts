// The part of @tongkit/sdk that is bundled into plugins (`tongkit build` aliases `@tongkit/sdk` here).
// It must stay free of Node APIs and of TypeBox: schemas are extracted to JSON at build time and
// validated host-side, so inside the sandbox `Type.*` only has to exist, not to work.
import type { JavaScriptTypeBuilder } from '@sinclair/typebox';

export { definePlugin } from './define-plugin.js';
export { BENEFIT_CLASSES, STACKING_MODES } from './catalogue/benefit-classes.js';
export { applyBasisPoints, formatFen, isFen, splitByBasisPoints, yuanToFen } from './money.js';
export { FULL_RATIO_BPS, MAX_NON_REFUNDABLE_BPS, MAX_STAGES, repriceStages, stageAmounts, withinDepositLimit } from './service/stage-amounts.js';

const inert: unknown = new Proxy(() => inert, { get: () => inert, apply: () => inert });

/** Inside the sandbox, schema builders are inert: the manifest already carries the JSON Schema. */
export const Type = inert as JavaScriptTypeBuilder;
