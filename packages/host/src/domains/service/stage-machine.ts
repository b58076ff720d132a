// The state machine of a payment stage (docs/service-orders.md has the diagram). Pure: the service
// applies it under the order's row lock, so every transition is checked against the state it reads.
import { TkError, STAGE_STATES } from '@tongkit/sdk';

/** A stage state. */
export type StageState = (typeof STAGE_STATES)[number];

/**
 * What causes a transition. `payment` (a verified provider callback) alone moves a stage to `paid`; the
 * `host` makes due stages payable and zero-amount stages paid; `merchant` and `plugin` schedule and
 * complete; cancellations and refunds come from a cancellation.
 */
export type TransitionCause = 'host' | 'payment' | 'merchant' | 'plugin' | 'cancellation';

const NEXT: Readonly<Record<StageState, readonly StageState[]>> = {
  pending: ['payable', 'cancelled'],
  payable: ['paid', 'cancelled'],
  // paid → cancelled: a buyer's cancellation forfeits a non-refundable stage (its money stays).
  paid: ['scheduled', 'completed', 'refunded', 'cancelled'],
  // scheduled → paid: the appointment was cancelled; the stage waits for a new one.
  scheduled: ['paid', 'completed', 'refunded', 'cancelled'],
  completed: [],
  cancelled: [],
  refunded: [],
};

/** Who may cause each target state. */
const CAUSES: Readonly<Record<StageState, readonly TransitionCause[]>> = {
  pending: [],
  payable: ['host'],
  paid: ['payment', 'host', 'merchant'],
  scheduled: ['merchant', 'plugin', 'host'],
  completed: ['merchant', 'plugin', 'host'],
  cancelled: ['cancellation'],
  refunded: ['cancellation'],
};

/** The states a stage in `from` may move to. */
export function nextStates(from: StageState): readonly StageState[] {
  return NEXT[from];
}

/** True when `from → to` is a transition of the machine that `cause` may make. */
export function isAllowedTransition(from: StageState, to: StageState, cause: TransitionCause): boolean {
  if (!NEXT[from].includes(to) || !CAUSES[to].includes(cause)) return false;
  // Only a verified payment (or the host, for a stage with nothing to pay) moves payable → paid; a
  // merchant only returns a scheduled stage to paid when its appointment is cancelled.
  if (to === 'paid' && from === 'payable') return cause === 'payment' || cause === 'host';
  if (to === 'paid') return from === 'scheduled' && cause !== 'payment';
  return true;
}

/**
 * Throws TK_CONFLICT naming the current state unless `from → to` is allowed for `cause`.
 *
 * @example assertTransition(2, 'completed', 'paid', 'merchant') // throws: stage 2 is completed …
 */
export function assertTransition(stageNo: number, from: StageState, to: StageState, cause: TransitionCause, path = '/to'): void {
  if (isAllowedTransition(from, to, cause)) return;
  const allowed = NEXT[from].filter((state) => isAllowedTransition(from, state, cause));
  throw new TkError('TK_CONFLICT', `stage ${stageNo} is ${from}: ${from} → ${to} is not a transition a ${cause} may make`, {
    path,
    details: { stageNo, state: from, to, allowed },
    hint: allowed.length > 0 ? `From ${from} a ${cause} may move it to: ${allowed.join(', ')}.` : `A ${from} stage does not change any more.`,
  });
}

/** True for a stage whose money is in (its amount is fixed). */
export function isPaidState(state: StageState): boolean {
  return state === 'paid' || state === 'scheduled' || state === 'completed';
}
