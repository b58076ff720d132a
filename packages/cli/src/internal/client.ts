import { TkError, type TkErrorCode } from '@tongkit/sdk';
import type { Profile } from './config.js';

/**
 * A small client of the host's HTTP API: JSON in and out, bearer token, and TK_* errors rebuilt from
 * the response body so the CLI prints them like local ones.
 */
export class HostClient {
  constructor(private readonly profile: Profile) {}

  get host(): string {
    return this.profile.host;
  }

  /** `headers` adds request headers (e.g. `idempotency-key`). */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.profile.host}${path}`, {
        method,
        headers: { ...headers, authorization: `Bearer ${this.profile.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new TkError('TK_NOT_FOUND', `cannot reach the host at ${this.profile.host}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`, {
        fault: 'user',
        hint: 'Is it running? Start one with `tongkit host start`, or check --host.',
      });
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; hint?: string; path?: string; details?: Record<string, unknown> } } | undefined)?.error;
      throw new TkError((error?.code ?? 'TK_INTERNAL') as TkErrorCode, error?.message ?? `HTTP ${response.status}`, {
        ...(error?.hint ? { hint: error.hint } : {}),
        ...(error?.path ? { path: error.path } : {}),
        ...(error?.details ? { details: error.details } : {}),
      });
    }
    return json as T;
  }
}

/** `name@version` → parts; TK_VALIDATION otherwise. */
export function parsePluginRef(ref: string): { plugin: string; version: string | undefined } {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return { plugin: ref, version: undefined };
  return { plugin: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** The merchant's install of `plugin` (through `GET /v1/installs`); TK_NOT_FOUND when it has none. */
export async function findInstall(client: HostClient, plugin: string, query: string): Promise<{ id: string; version: string; previousVersion: string | null } & Record<string, unknown>> {
  const { items } = await client.request('GET', `/v1/installs${query}`);
  const install = (items as Array<{ id: string; plugin: string; version: string; previousVersion: string | null }>).find((i) => i.plugin === plugin);
  if (!install) throw new TkError('TK_NOT_FOUND', `the merchant has no install of ${plugin}`, { fault: 'user', hint: `Install it first: tongkit install ${plugin}` });
  return install;
}
