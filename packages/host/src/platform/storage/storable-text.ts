/**
 * Text PostgreSQL can store. Its `text` type refuses the NUL character, and `jsonb` refuses both the NUL
 * escape `\u0000` and a lone UTF-16 surrogate (`\ud800` without its pair, which `JSON.stringify` writes as
 * an escape). A plugin controls much of what the host records (its output, error messages, log lines), and
 * a lone surrogate also happens by accident when a message is cut in the middle of an emoji. Written as is,
 * such text fails the statement — and with it the transaction it shares with other work. Each of those
 * characters becomes U+FFFD (the replacement character) instead; all other text is returned unchanged.
 *
 * @example
 * storableText('bad\u0000byte \ud83d'); // 'bad\uFFFDbyte \uFFFD'
 */
export function storableText(text: string): string {
  if (isWellFormed(text) && !text.includes('\u0000')) return text;
  return toWellFormed(text).replaceAll('\u0000', '\uFFFD');
}

/**
 * A copy of a JSON value with every string and object key made {@link storableText}. Values that need no
 * change are returned as they are.
 *
 * @example
 * storableValue({ reason: 'r\u0000' }); // { reason: 'r\uFFFD' }
 */
export function storableValue<T>(value: T): T {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined || !UNSTORABLE_ESCAPE.test(json)) return value;
  return JSON.parse(storableJson(value)) as T;
}

/**
 * `JSON.stringify(value)` for a `jsonb` parameter, with every string and object key made
 * {@link storableText}. (`undefined` becomes `null`.)
 *
 * @example
 * await db.query('UPDATE deliveries SET last_error = $1::jsonb …', [storableJson(error.toJSON())]);
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  // JSON.stringify escapes NUL as \u0000 and a lone surrogate as \udXXX (paired ones it writes as they
  // are), so text without those escapes is storable; the rare rest is rebuilt.
  if (!UNSTORABLE_ESCAPE.test(json)) return json;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string') return storableText(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      // Object.fromEntries defines own properties, so a "__proto__" key stays a plain key.
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [storableText(k), item]));
    }
    return v;
  });
}

/** Matches the escapes of NUL and of UTF-16 surrogates (a backslash-escaped backslash before them may match too: that only costs the slow path). */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

// ES2024's String.prototype.isWellFormed/toWellFormed (Node ≥ 20); the shared tsconfig's lib is ES2023.
type WellFormedString = { isWellFormed(): boolean; toWellFormed(): string };
const isWellFormed = (text: string): boolean => (text as unknown as WellFormedString).isWellFormed();
const toWellFormed = (text: string): string => (text as unknown as WellFormedString).toWellFormed();
