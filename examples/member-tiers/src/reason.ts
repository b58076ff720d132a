import { formatFen } from '@tongkit/sdk';
import type { Standing, Threshold } from './levels.js';
import type { Settings } from './settings.js';

/** The output schema's limit on `reason`, in UTF-16 code units (what JSON Schema's maxLength counts). */
export const MAX_REASON_LENGTH = 200;

/** `12000` → `1.2`, `10050` → `1.005`: a basis-point weight as a multiplier, with integer arithmetic only. */
export function multiplier(bps: number): string {
  const fraction = String(bps % 10_000).padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${Math.floor(bps / 10_000)}.${fraction}` : String(bps / 10_000);
}

function count(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `spend ¥6,800.00 (online ¥2,000.00 + store ¥4,000.00 ×1.2), growth 6,000` */
export function standingText(standing: Standing, storeWeightBps: number): string {
  const { onlineFen, storeFen, countedFen, growthValue } = standing;
  const store = storeWeightBps === 10_000 ? formatFen(storeFen) : `${formatFen(storeFen)} ×${multiplier(storeWeightBps)}`;
  let spend = formatFen(countedFen);
  if (storeFen === 0 && onlineFen > 0) spend += ' (online)';
  else if (storeFen > 0 && onlineFen === 0) spend += storeWeightBps === 10_000 ? ' (store)' : ` (store ${store})`;
  else if (storeFen > 0) spend += ` (online ${formatFen(onlineFen)} + store ${store})`;
  return `spend ${spend}, growth ${count(growthValue)}`;
}

/** `¥5,000.00 or growth 5,000`, following the merchant's combination rule. */
export function thresholdText(threshold: Threshold, rule: Settings['qualifyBy']): string {
  const spend = formatFen(threshold.spendFen);
  const growth = `growth ${count(threshold.growthValue)}`;
  switch (rule) {
    case 'spend-and-growth':
      return `${spend} and ${growth}`;
    case 'spend':
      return spend;
    case 'growth':
      return growth;
    default:
      return `${spend} or ${growth}`;
  }
}

function clip(text: string): string {
  if (text.length <= MAX_REASON_LENGTH) return text;
  let cut = text.slice(0, MAX_REASON_LENGTH - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  return `${cut}…`;
}

/**
 * A reason of at most 200 characters: the decision (`head`, clipped if it alone is too long), then each
 * detail that still fits, in order. Details carry their own leading separator (`: …`, `; …`).
 */
export function compose(head: string, ...details: Array<string | undefined>): string {
  let reason = clip(head);
  for (const detail of details) {
    if (detail !== undefined && reason.length + detail.length <= MAX_REASON_LENGTH) reason += detail;
  }
  return reason;
}
