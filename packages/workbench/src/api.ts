// The workbench's one way to the host: the same /v1 API as the CLI, authenticated by the session cookie
// (httpOnly: this code never sees it) plus the session's CSRF token on every state-changing request.
import type { TkErrorJSON } from '@tongkit/sdk';

/** A TK_* error the API answered with: its code, message, hint and (for validation) JSON path. */
export class ApiError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly path: string | undefined;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, error: Pick<TkErrorJSON, 'code' | 'message' | 'hint'> & { path?: string | undefined; details?: Record<string, unknown> | undefined }) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.hint = error.hint;
    this.path = error.path;
    this.details = error.details;
  }
}

let csrfToken: string | undefined;
/** Remembers the session's CSRF token (from sign-in or GET /v1/session); undefined after sign-out. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Listeners told when the API says the session is gone (401), so the app returns to sign-in. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** Calls the API; resolves with the JSON body, rejects with an {@link ApiError}. */
export async function api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
  if (method !== 'GET' && csrfToken !== undefined) (init.headers as Record<string, string>)['x-csrf-token'] = csrfToken;
  if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (parsed as { error?: TkErrorJSON } | null)?.error;
    if (response.status === 401 && !path.startsWith('/v1/session')) for (const listener of signedOutListeners) listener();
    throw new ApiError(response.status, error ?? { code: 'TK_INTERNAL', message: `HTTP ${response.status}`, hint: '' });
  }
  return parsed as T;
}

/** What GET /v1/session answers. */
export type SessionState =
  | { signedIn: false; devSignIn: boolean }
  | { signedIn: true; role: 'developer' | 'reviewer' | 'merchant' | 'admin'; subjectId: string; csrfToken: string; expiresAt: string; devSignIn: boolean };

/** `path` with the query parameters that are set. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
