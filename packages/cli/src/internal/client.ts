import { TkError } from '@tongkit/sdk';
import type { Profile } from './config.js';
import type { Install, Items } from '@tongkit/host';

/**
 * A small client of the host's HTTP API: JSON in and out, bearer token, and TK_* errors rebuilt from
 * the response body so the CLI prints them like local ones.
 */
export class HostClient {
  constructor(private readonly profile: Profile) {}

  get host(): string {
    return this.profile.host;
  }

  /**
   * Calls the host. `T` is what the route answers: a type `@tongkit/host` exports, derived from the
   * route's response schema (there is no default, so a call that names none gets `unknown`).
   * `headers` adds request headers (e.g. `idempotency-key`).
   */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const url = `${this.profile.host}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...headers, authorization: `Bearer ${this.profile.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new TkError('TK_HOST_UNREACHABLE', `cannot reach the host at ${this.profile.host}: ${reason}`, { details: { url: this.profile.host } });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // A proxy's HTML error page, or something that is not a Tongkit host at all.
      throw new TkError('TK_INTERNAL', `the host at ${this.profile.host} answered ${method} ${path} with HTTP ${response.status} and a body that is not JSON: ${text.slice(0, 200)}`, {
        hint: 'Check that --host points at a Tongkit host.',
        details: { status: response.status },
      });
    }
    if (!response.ok) {
      const error = json !== null && typeof json === 'object' ? (json as { error?: unknown }).error : undefined;
      if (error === undefined) throw new TkError('TK_INTERNAL', `the host at ${this.profile.host} answered ${method} ${path} with HTTP ${response.status} and no error`, { details: { status: response.status } });
      throw TkError.fromJSON(error, `the host at ${this.profile.host}`);
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
export async function findInstall(client: HostClient, plugin: string, query: string): Promise<Install> {
  const { items } = await client.request<Items<Install>>('GET', `/v1/installs${query}`);
  const install = items.find((i) => i.plugin === plugin);
  if (!install) throw new TkError('TK_NOT_FOUND', `the merchant has no install of ${plugin}`, { fault: 'user', hint: `Install it first: tongkit install ${plugin}` });
  return install;
}
