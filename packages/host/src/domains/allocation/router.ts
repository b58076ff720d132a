import { TkError, checkOrderRoute, routeToNearestStore, type PointOutput, type TkErrorJSON } from '@tongkit/sdk';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { OrderRouteInput } from './routing-input.js';

/** The `order.route` output, as the SDK's catalogue types it. */
export type OrderRouteOutput = PointOutput<'order.route'>;

/** A routing decision the host may apply, and who made it. */
export interface RoutingDecision {
  output: OrderRouteOutput;
  /** `plugin`: the order.route install; `fallback`: it failed and the platform default applied; `platform`: no install serves the point. */
  source: 'plugin' | 'fallback' | 'platform';
  /** Why the platform default applied instead of the install (its error, or the host's check of its output). */
  error: TkErrorJSON | null;
}

/**
 * Checks a decision against its input: TK_INVALID_OUTPUT at the first problem's JSON path (a store
 * without the stock, above capacity, closed, already refused; a line covered twice or not at all; a
 * pickup order split or sent elsewhere), else nothing.
 */
export function invalidRouteOutput(input: OrderRouteInput, output: OrderRouteOutput): TkError | undefined {
  const problem = checkOrderRoute(input, output)[0];
  return problem && new TkError('TK_INVALID_OUTPUT', `the order.route output is invalid at ${problem.path}: ${problem.message}`, { path: problem.path, fault: 'plugin' });
}

/**
 * Decides where an order goes: the merchant's `order.route` install through the host's extension invoker
 * (which logs the invocation and runs the point's fallback when the plugin fails or its breaker is
 * open), or the platform default when none serves it. The host does not take the answer on trust: it
 * checks the output against the input it built once more, and a bad one is replaced by the platform
 * default, with the TK_INVALID_OUTPUT and its path kept as the decision's error (counted as a fallback).
 */
export class OrderRouter {
  constructor(private readonly invokePoint: HostPlatform['invokePoint']) {}

  async decide(merchantId: string, input: OrderRouteInput): Promise<RoutingDecision> {
    if (!this.invokePoint) return { output: routeToNearestStore(input), source: 'platform', error: null };
    const decision = await this.invokePoint(merchantId, 'order.route', input, undefined);
    const output = decision.output as OrderRouteOutput;
    const invalid = invalidRouteOutput(input, output);
    if (invalid) {
      process.emitWarning(`tongkit: order.route of ${merchantId} for order ${input.order.id}: ${invalid.message}; the platform default applies`);
      return { output: routeToNearestStore(input), source: 'fallback', error: invalid.toJSON() };
    }
    const error = decision.source === 'fallback' ? ((decision as { error?: TkErrorJSON | null }).error ?? null) : null;
    return { output, source: decision.source, error };
  }
}
