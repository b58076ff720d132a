import { SPEND_TENDERS, TkError, type TenderMethod } from '@tongkit/sdk';

/** A line as ordered: quantity × unit price, less its discount. */
export interface LineAmounts {
  quantity: number;
  unitPriceFen: number;
  discountFen: number;
}

/** A tender of a paid order, with what was refunded to it so far. */
export interface TenderBalance {
  method: TenderMethod;
  amountFen: number;
  refundedFen: number;
}

const isSpend = (method: TenderMethod) => SPEND_TENDERS.includes(method);

/**
 * The totals of an order: each line's net (`quantity × unitPriceFen − discountFen`), the total, and the
 * spend (its cash and card tenders). The tenders must add up to the total: TK_VALIDATION with the JSON
 * path of what is wrong otherwise (a discount above its line at `/lines/<i>/discountFen`, a sum that
 * differs at `/payments`).
 */
export function orderTotals(lines: readonly LineAmounts[], payments: ReadonlyArray<{ method: TenderMethod; amountFen: number }>): { netFen: number[]; totalFen: number; spendFen: number } {
  const netFen = lines.map((line, i) => {
    const gross = line.quantity * line.unitPriceFen;
    if (!Number.isSafeInteger(gross)) throw new TkError('TK_VALIDATION', 'quantity × unitPriceFen is too large to count exactly in fen', { path: `/lines/${i}/unitPriceFen` });
    if (line.discountFen > gross) {
      throw new TkError('TK_VALIDATION', `the discount (${line.discountFen} fen) is more than the line (${gross} fen)`, { path: `/lines/${i}/discountFen` });
    }
    return gross - line.discountFen;
  });
  const totalFen = netFen.reduce((a, b) => a + b, 0);
  const tendersFen = payments.reduce((a, p) => a + p.amountFen, 0);
  if (!Number.isSafeInteger(totalFen) || !Number.isSafeInteger(tendersFen)) throw new TkError('TK_VALIDATION', 'the order is too large to count exactly in fen', { path: '/lines' });
  if (tendersFen !== totalFen) {
    throw new TkError('TK_VALIDATION', `the payments add up to ${tendersFen} fen, but the lines to ${totalFen} fen`, {
      path: '/payments',
      hint: 'Every fen of the order is paid by exactly one tender: make the payments’ amountFen add up to the lines’ total.',
      details: { totalFen, tendersFen, differenceFen: tendersFen - totalFen },
    });
  }
  const spendFen = payments.filter((p) => isSpend(p.method)).reduce((a, p) => a + p.amountFen, 0);
  return { netFen, totalFen, spendFen };
}

/**
 * The tender the rounding remainder of a refund goes to: the first cash tender, else the first card
 * tender, else the first tender (the one a till can hand out exactly).
 */
function remainderTender(tenders: readonly TenderBalance[]): number {
  const cash = tenders.findIndex((t) => t.method === 'cash');
  if (cash >= 0) return cash;
  const card = tenders.findIndex((t) => t.method === 'card');
  return card >= 0 ? card : 0;
}

/**
 * Splits a refund of `amountFen` across an order's tenders, pro rata to what each still holds (paid
 * less refunded), rounding each share down, with the rounding remainder to cash (see
 * {@link remainderTender}). A share never passes what its tender still holds: when the remainder does
 * not fit the cash tender, the rest goes, a fen at a time, to the tenders with the largest cut-off
 * fractions that still have room. So the shares add up to `amountFen`, and no sequence of refunds
 * refunds a tender, or the order, more than was paid. `amountFen` must not exceed what the tenders
 * still hold (the caller checks; RangeError otherwise).
 *
 * @example splitRefund([{ method: 'card', amountFen: 6_667, refundedFen: 0 }, { method: 'cash', amountFen: 3_333, refundedFen: 0 }], 100) // [66, 34]
 */
export function splitRefund(tenders: readonly TenderBalance[], amountFen: number): number[] {
  const open = tenders.map((t) => t.amountFen - t.refundedFen);
  const openFen = open.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(amountFen) || amountFen < 0 || amountFen > openFen) throw new RangeError(`cannot refund ${amountFen} fen of ${openFen} fen still paid`);
  if (amountFen === 0) return open.map(() => 0);
  const target = remainderTender(tenders);
  // amount × open can pass 2^53 for large orders: BigInt keeps every share exact.
  const exact = open.map((o) => (BigInt(amountFen) * BigInt(o)) % BigInt(openFen));
  const shares = open.map((o, i) => (i === target ? 0 : Number((BigInt(amountFen) * BigInt(o)) / BigInt(openFen))));
  let rest = amountFen - shares.reduce((a, b) => a + b, 0);
  const toTarget = Math.min(rest, open[target]!);
  shares[target] = toTarget;
  rest -= toTarget;
  if (rest > 0) {
    // Largest cut-off fraction first, then tender order: deterministic, and fair to the fen.
    const order = open.map((_, i) => i).filter((i) => i !== target).sort((a, b) => (exact[b]! > exact[a]! ? 1 : exact[b]! < exact[a]! ? -1 : a - b));
    while (rest > 0) {
      let moved = false;
      for (const i of order) {
        if (rest === 0) break;
        if (shares[i]! < open[i]!) {
          shares[i]! += 1;
          rest -= 1;
          moved = true;
        }
      }
      if (!moved) throw new RangeError('no tender has room for the refund’s remainder');
    }
  }
  return shares;
}

/** The spend part (cash and card) of a refund split by {@link splitRefund}. */
export function spendOf(tenders: readonly TenderBalance[], shares: readonly number[]): number {
  return tenders.reduce((sum, t, i) => sum + (isSpend(t.method) ? shares[i]! : 0), 0);
}

/** A line as stored, with what was refunded of it so far. */
export interface LineBalance {
  quantity: number;
  netFen: number;
  refundedQuantity: number;
  refundedFen: number;
}

/**
 * What refunding `quantity` more units of a line refunds, in fen: cumulative, so the parts of a line
 * refunded unit by unit add up to its net exactly — `floor(net × refundedUnits / quantity)` less what
 * was refunded of it before, and the last unit takes what is left. TK_VALIDATION at `path` when more
 * units are asked for than remain.
 */
export function lineRefundFen(line: LineBalance, quantity: number, path: string): number {
  const units = line.refundedQuantity + quantity;
  if (units > line.quantity) {
    throw new TkError('TK_VALIDATION', `only ${line.quantity - line.refundedQuantity} of the line's ${line.quantity} units are left to refund`, { path });
  }
  const cumulative = units === line.quantity ? line.netFen : Number((BigInt(line.netFen) * BigInt(units)) / BigInt(line.quantity));
  return Math.max(0, cumulative - line.refundedFen);
}
