/**
 * Who has to act on an error: `user` (the caller's input or command), `plugin` (the plugin's code or
 * manifest: its developer fixes it), `platform` (a Tongkit bug: report it).
 */
export type TkFault = 'user' | 'plugin' | 'platform';

/** The stable error codes, with who is at fault by default and what to try next. */
export const TK_ERROR_CODES = {
  TK_VALIDATION: { fault: 'user', hint: 'Fix the value at the JSON path shown and try again.' },
  TK_MANIFEST_INVALID: { fault: 'plugin', hint: 'Fix the plugin definition (definePlugin) and run `tongkit build` again.' },
  TK_BUILD_FAILED: { fault: 'plugin', hint: 'Fix the source error shown and run `tongkit build` again.' },
  TK_PERMISSION_DENIED: { fault: 'plugin', hint: 'Declare the permission in `permissions` and have the merchant grant it.' },
  TK_TIMEOUT: { fault: 'plugin', hint: 'Make the handler do less work per call; extension points have a fixed CPU budget.' },
  TK_MEMORY_LIMIT: { fault: 'plugin', hint: 'Allocate less: extension points run with a small fixed heap.' },
  TK_OUTPUT_TOO_LARGE: { fault: 'plugin', hint: 'Return a smaller output; the limit is fixed per extension point.' },
  TK_INVALID_OUTPUT: { fault: 'plugin', hint: 'Return a value matching the extension point output schema (`tongkit schema`).' },
  TK_PLUGIN_ERROR: { fault: 'plugin', hint: 'The plugin threw; see the mapped stack and fix the plugin.' },
  TK_HOST_CALL_LIMIT: { fault: 'plugin', hint: 'Make fewer host calls per invocation.' },
  TK_RATE_LIMITED: { fault: 'user', hint: 'Slow down and retry later.' },
  TK_CIRCUIT_OPEN: { fault: 'plugin', hint: 'The install failed repeatedly and is paused; fix the plugin, then re-enable it.' },
  TK_WORKER_CRASHED: { fault: 'platform', hint: 'Retry; the worker was restarted.' },
  TK_NOT_FOUND: { fault: 'user', hint: 'Check the name or path.' },
  TK_CONFLICT: { fault: 'user', hint: 'It clashes with the current state: read it again (the message says what clashed), then retry or choose another name.' },
  TK_HOST_UNREACHABLE: { fault: 'user', hint: 'Is the host running? Start one with `tongkit host start`, or check --host.' },
  TK_UNAUTHORIZED: { fault: 'user', hint: 'Log in again (`tongkit login`).' },
  TK_FORBIDDEN: { fault: 'user', hint: 'Your role or tenant may not do this.' },
  TK_TEST_FAILED: { fault: 'plugin', hint: 'Compare the expected and actual outputs shown, then fix the plugin or the fixture.' },
  TK_INTERNAL: { fault: 'platform', hint: 'This is a Tongkit bug; please report it with the output above.' },
} as const satisfies Record<string, { fault: TkFault; hint: string }>;

/** One of Tongkit's stable error codes. */
export type TkErrorCode = keyof typeof TK_ERROR_CODES;

/** Options for {@link TkError}. */
export interface TkErrorOptions {
  /** JSON Pointer of the offending value, e.g. `/member/spend12mFen/online`. */
  path?: string;
  /** What to do next; defaults to the code's standard hint. */
  hint?: string;
  /** Overrides the code's default fault. */
  fault?: TkFault;
  /** Structured extra facts (limits, measured values, validation errors). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The plain-JSON form of a {@link TkError}, as the CLI's `--json` and the HTTP API return it. */
export interface TkErrorJSON {
  code: TkErrorCode;
  message: string;
  fault: TkFault;
  hint: string;
  path?: string;
  details?: Record<string, unknown>;
}

/**
 * The one error class of Tongkit: a stable `code`, a message a person can act on, a `hint` saying
 * what to do next, the JSON `path` for validation failures, and whose `fault` it is.
 *
 * @example
 * throw new TkError('TK_VALIDATION', 'must be an integer number of fen', { path: '/amountFen' });
 */
export class TkError extends Error {
  override readonly name = 'TkError';
  readonly code: TkErrorCode;
  readonly fault: TkFault;
  readonly hint: string;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: TkErrorCode, message: string, options: TkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fault = options.fault ?? TK_ERROR_CODES[code].fault;
    this.hint = options.hint ?? TK_ERROR_CODES[code].hint;
    this.path = options.path;
    this.details = options.details;
  }

  /**
   * Rebuilds a TkError from its JSON (an HTTP body's `error`, a worker's answer), never trusting it
   * blindly: a code this version does not know (a newer host's) becomes a readable TK_INTERNAL naming
   * the code (`details.code`), and anything that is not an error's JSON becomes TK_INTERNAL saying so —
   * never a TypeError. `source` says where it came from, for those messages.
   *
   * @example
   * throw TkError.fromJSON(body.error, `the host at ${url}`);
   */
  static fromJSON(json: unknown, source = 'the other side'): TkError {
    const record = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
    const code = record?.['code'];
    const message = typeof record?.['message'] === 'string' ? record['message'] : undefined;
    if (!record || typeof code !== 'string') {
      let shown: string | undefined;
      try {
        shown = JSON.stringify(json)?.slice(0, 200);
      } catch {
        shown = undefined;
      }
      return new TkError('TK_INTERNAL', `${source} answered with an unreadable error: ${shown ?? String(json)}`);
    }
    if (!Object.hasOwn(TK_ERROR_CODES, code)) {
      return new TkError('TK_INTERNAL', `${source} answered with the error code ${code.slice(0, 100)}, which this version of Tongkit does not know${message ? `: ${message}` : ''}`, {
        hint: 'Update Tongkit to the version of the other side, or report it.',
        details: { code: code.slice(0, 100) },
      });
    }
    const fault = record['fault'];
    const details = record['details'];
    return new TkError(code as TkErrorCode, message ?? code, {
      ...(fault === 'user' || fault === 'plugin' || fault === 'platform' ? { fault } : {}),
      ...(typeof record['hint'] === 'string' ? { hint: record['hint'] } : {}),
      ...(typeof record['path'] === 'string' ? { path: record['path'] } : {}),
      ...(details !== null && typeof details === 'object' && !Array.isArray(details) ? { details: details as Record<string, unknown> } : {}),
    });
  }

  /**
   * Anything caught, as a TkError: a TkError as it is (one from another copy of the package is rebuilt
   * from its fields), anything else as TK_INTERNAL (or `options.code`) with `context` and the original
   * as its cause. `opaque` leaves the original's text out of the message — for errors that cross to a
   * plugin, which must not read the host's internals.
   *
   * @example
   * catch (error) { return { ok: false, error: TkError.from(error, 'the event isolate could not be created') }; }
   */
  static from(error: unknown, context = 'unexpected failure', options: { code?: TkErrorCode; opaque?: boolean } = {}): TkError {
    if (error instanceof TkError) return error;
    if (isTkError(error)) {
      const copy = TkError.fromJSON({ ...(error as TkError), code: error.code, message: error.message }, context);
      return copy;
    }
    const text = error instanceof Error ? error.message : String(error);
    return new TkError(options.code ?? 'TK_INTERNAL', options.opaque ? context : `${context}: ${text}`, { cause: error });
  }

  /** Plain JSON for logs, `--json` output and HTTP bodies (no stack: stacks are for bugs only). */
  toJSON(): TkErrorJSON {
    return {
      code: this.code,
      message: this.message,
      fault: this.fault,
      hint: this.hint,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** True when `value` is a {@link TkError} (also across package copies, by shape). */
export function isTkError(value: unknown): value is TkError {
  if (value instanceof TkError) return true;
  const code = value instanceof Error ? (value as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && Object.hasOwn(TK_ERROR_CODES, code);
}
