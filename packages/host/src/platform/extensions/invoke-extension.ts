import { randomUUID } from 'node:crypto';
import { TkError, getExtensionPoint, type ExtensionPointId, type TkErrorJSON } from '@tongkit/sdk';
import { validateAgainst, type InvocationResult, type LoadedPlugin, type Measurements } from '@tongkit/runtime';
import type { Database, Queryable } from '../storage/database.js';
import type { Installs } from '../installs/installs.js';
import { storableJson, storableText, storableValue } from '../storage/storable-text.js';
import type { ExtensionDecision } from './schemas.js';
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerState } from './circuit-breaker.js';
import { SharedBreakers } from './shared-breakers.js';
import { ServingConfig } from './serving-config.js';
import { InvocationLogWriter, insertInvocations, type InvocationLogPolicy, type InvocationRow } from './invocation-log.js';

export type { DecisionSource, ExtensionDecision } from './schemas.js';

/** Loads (and caches) the sandboxed plugin of an install's pinned version. */
export type InstallPluginLoader = (install: { id: string; plugin_name: string; version: string; merchant_id: string }) => Promise<LoadedPlugin>;

/**
 * Runs an extension point for a merchant: finds the install serving it, applies the store's effective
 * settings, and — when the plugin fails or its circuit breaker is open — the point's fallback, which is
 * logged and counted, never silent. Breakers count in each process and share their transitions
 * through the database ({@link SharedBreakers}).
 */
export class ExtensionInvoker {
  private readonly breakers: SharedBreakers;
  private readonly config: ServingConfig;
  /** The invoke route's log, written behind (see {@link InvocationLogWriter}). */
  readonly invocationLog: InvocationLogWriter;

  constructor(
    private readonly db: Database,
    private readonly installs: Installs,
    private readonly loadInstall: InstallPluginLoader,
    policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
    logPolicy?: InvocationLogPolicy,
  ) {
    this.breakers = new SharedBreakers(db, policy);
    this.config = new ServingConfig(db);
    this.invocationLog = new InvocationLogWriter(db, logPolicy);
  }

  /**
   * Decides a point for a caller (the invoke route). The invocation's log row is written behind, a few
   * milliseconds later: readers in this process call {@link flushLog} first.
   */
  async invoke(merchantId: string, point: string, input: unknown, options: { storeId?: string | undefined } = {}): Promise<ExtensionDecision> {
    const { decision, version } = await this.decideUnlogged(merchantId, point, input, options);
    // Timed when decided, as a synchronous write would be: after the plugin's own log lines.
    this.invocationLog.add(rowOf(merchantId, options.storeId, input, decision, version, new Date()));
    return decision;
  }

  /** Writes every invocation log row buffered so far (before reading the log). */
  flushLog(): Promise<void> {
    return this.invocationLog.flush();
  }

  /** Writes what is buffered; called when the host closes. */
  close(): Promise<void> {
    return this.invocationLog.close();
  }

  /**
   * Like {@link invoke}, but the invocation's log is the caller's to write, with `logIn(tx)`, in the
   * transaction that applies the decision: a tier change and the invocation that decided it commit
   * together (the history points at a log row that exists). The caller must call it once.
   */
  async decide(
    merchantId: string,
    point: string,
    input: unknown,
    options: { storeId?: string | undefined } = {},
  ): Promise<{ decision: ExtensionDecision; version: string | null; logIn(tx: Queryable): Promise<void> }> {
    const { decision, version } = await this.decideUnlogged(merchantId, point, input, options);
    const at = new Date();
    return { decision, version, logIn: (tx) => insertInvocations(tx, [rowOf(merchantId, options.storeId, input, decision, version, at)]) };
  }

  private async decideUnlogged(merchantId: string, point: string, input: unknown, options: { storeId?: string | undefined }): Promise<{ decision: ExtensionDecision; version: string | null }> {
    const spec = getExtensionPoint(point);
    if (!spec) throw new TkError('TK_NOT_FOUND', `unknown extension point "${point}"`, { fault: 'user' });
    // Paths point into the request (`{ input, storeId }`), like the other errors of this call.
    const problems = validateAgainst(spec.input, input).map((p) => ({ ...p, path: `/input${p.path === '/' ? '' : p.path}` }));
    if (problems[0]) {
      throw new TkError('TK_VALIDATION', `the ${point} input is invalid at ${problems[0].path}: ${problems[0].message}`, { path: problems[0].path, details: { problems } });
    }
    // One round trip: the merchant's configuration version and the store check; the rest is cached per version.
    const config = await this.config.current(merchantId, options.storeId, '/storeId');
    const rows = await this.config.serving(config, merchantId, point);
    if (spec.combine !== 'exclusive' && rows.length > 1) {
      throw new TkError('TK_CONFLICT', `${point} merges several installs: the host applies it itself (member.points.earn on order.paid), so it cannot be invoked for one decision`, {
        hint: 'Read the result in the member’s ledger (GET /v1/members/:id/ledger).',
      });
    }
    const install = rows[0];
    const invocationId = `inv_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    if (!install) {
      // An install proves its merchant exists; without one, ask (the log write no longer fails for it).
      const merchant = await this.db.query('SELECT 1 FROM merchants WHERE id = $1', [merchantId]);
      if (merchant.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no merchant ${merchantId}`);
      const decision: ExtensionDecision = { invocationId, point, output: spec.fallbackOutput(input as never), source: 'platform', installId: null, plugin: null, error: null, measurements: null };
      return { decision, version: null };
    }

    const gate = await this.admit(install.id, point);
    let result: InvocationResult | undefined;
    let error: TkError | undefined;
    if (!gate.allowed) {
      error = new TkError('TK_CIRCUIT_OPEN', `${install.plugin_name} failed too often on ${point} and is paused; the platform default applies`, {
        details: { installId: install.id },
      });
    } else {
      try {
        const plugin = await this.loadInstall({ ...install, merchant_id: merchantId });
        const settings = await this.config.settings(config, install, options.storeId, () => this.installs.effectiveFor(install, options.storeId));
        result = await plugin.invoke(point as ExtensionPointId, input, settings);
        if (!result.ok) error = result.error;
      } catch (cause) {
        error = TkError.from(cause, 'the extension could not be invoked');
      }
      await this.recordOutcome(install.id, point, gate.probe, error === undefined, error === undefined || countsAgainstPlugin(error, result?.measurements));
    }

    const decision: ExtensionDecision = {
      invocationId,
      point,
      // The plugin's text as it can be stored: the merchant sees what the log records.
      output: storableValue(error ? spec.fallbackOutput(input as never) : (result as { output: unknown }).output),
      source: error ? 'fallback' : 'plugin',
      installId: install.id,
      plugin: install.plugin_name,
      error: error ? merchantFacing(error) : null,
      measurements: result?.measurements ?? null,
    };
    return { decision, version: install.version };
  }

  /**
   * Runs a `merge` point on every install serving it, in install order, each behind its own circuit
   * breaker and each logged: the caller combines the answers by the point's merge rule. A failed install
   * answers `ok: false` (its error logged as a fallback: it contributes nothing) rather than the point's
   * fallback output, which the merge rule applies once, only when no install answered.
   */
  async invokeEach(merchantId: string, point: string, input: unknown, options: { storeId?: string | undefined } = {}): Promise<ExtensionDecision[]> {
    const spec = getExtensionPoint(point);
    if (!spec || spec.combine !== 'merge') throw new TkError('TK_INTERNAL', `${point} is not a merge point`);
    const problems = validateAgainst(spec.input, input);
    if (problems[0]) throw new TkError('TK_INTERNAL', `the host assembled an invalid ${point} input at ${problems[0].path}: ${problems[0].message}`);
    // The host assembled the input and its store: no store check to answer to a caller.
    const config = await this.config.current(merchantId, undefined, '/storeId');
    const rows = await this.config.serving(config, merchantId, point);
    const decisions: ExtensionDecision[] = [];
    for (const install of rows) {
      const invocationId = `inv_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      const gate = await this.admit(install.id, point);
      let result: InvocationResult | undefined;
      let error: TkError | undefined;
      if (!gate.allowed) {
        error = new TkError('TK_CIRCUIT_OPEN', `${install.plugin_name} failed too often on ${point} and is paused; it contributes nothing`, { details: { installId: install.id } });
      } else {
        try {
          const plugin = await this.loadInstall({ ...install, merchant_id: merchantId });
          const settings = await this.config.settings(config, install, options.storeId, () => this.installs.effectiveFor(install, options.storeId));
          result = await plugin.invoke(point as ExtensionPointId, input, settings);
          if (!result.ok) error = result.error;
        } catch (cause) {
          error = cause instanceof TkError ? cause : new TkError('TK_INTERNAL', String(cause), { cause });
        }
        await this.recordOutcome(install.id, point, gate.probe, error === undefined, error === undefined || countsAgainstPlugin(error, result?.measurements));
      }
      const decision: ExtensionDecision = {
        invocationId,
        point,
        output: error ? null : storableValue((result as { output: unknown }).output),
        source: error ? 'fallback' : 'plugin',
        installId: install.id,
        plugin: install.plugin_name,
        error: error ? merchantFacing(error) : null,
        measurements: result?.measurements ?? null,
      };
      await this.log(rowOf(merchantId, options.storeId, input, decision, install.version, new Date()));
      decisions.push(decision);
    }
    return decisions;
  }

  /**
   * Runs an install's plugin on an input with the given settings and nothing else: no log, no breaker,
   * no fallback. Extension handlers are pure (input and settings in, a decision out; no host API), so a
   * replay changes nothing — the settings impact preview runs logged inputs through it.
   */
  async replay(install: { id: string; plugin_name: string; version: string; merchant_id: string }, point: string, input: unknown, settings: Record<string, unknown>): Promise<InvocationResult> {
    const plugin = await this.loadInstall(install);
    return plugin.invoke(point as ExtensionPointId, input, settings);
  }

  /** The breaker's state for an install's point (closed when it has never opened), with this process's window. */
  async breaker(installId: string, point: string): Promise<BreakerState> {
    return this.breakers.state(installId, point);
  }

  private admit(installId: string, point: string): Promise<{ allowed: boolean; probe: boolean }> {
    return this.breakers.admit(installId, point);
  }

  private recordOutcome(installId: string, point: string, probe: boolean, ok: boolean, countsAgainstPlugin: boolean): Promise<void> {
    return this.breakers.record(installId, point, { ok, countsAgainstPlugin, probe });
  }

  /**
   * Records the invocation now. The decision stands even when the record cannot be written: the plugin
   * has run, and the caller gets its output or the fallback, never an error in their place.
   */
  private async log(row: InvocationRow): Promise<void> {
    try {
      await insertInvocations(this.db, [row]);
    } catch (error) {
      process.emitWarning(`tongkit: invocation ${row.id} of ${row.point} for ${row.merchantId} was not logged: ${(error as Error).message}`);
    }
  }
}

/**
 * The invocation's log row. What the plugin controls is made storable first, so that it cannot keep
 * itself out of the log.
 */
function rowOf(merchantId: string, storeId: string | undefined, input: unknown, decision: ExtensionDecision, version: string | null, at: Date): InvocationRow {
  return {
    id: decision.invocationId,
    merchantId,
    installId: decision.installId,
    plugin: decision.plugin,
    version,
    point: decision.point,
    storeId: storeId ?? null,
    ok: decision.error === null,
    fallback: decision.source === 'fallback',
    errorCode: decision.error ? storableText(decision.error.code) : null,
    errorMessage: decision.error ? storableText(decision.error.message) : null,
    input: storableJson(input),
    output: storableJson(decision.output),
    measurements: decision.measurements === null ? null : storableJson(decision.measurements),
    at,
  };
}

/**
 * The error as the merchant's caller sees it: without the plugin's mapped stack, which shows the ISV's
 * source layout (the message keeps the throwing frame; the ISV reproduces with `tongkit run`).
 */
function merchantFacing(error: TkError): TkErrorJSON {
  // The message and details may carry the plugin's text: made storable, as the log keeps it.
  const json = storableValue(error.toJSON());
  if (json.details && 'stack' in json.details) {
    const { stack: _stack, ...details } = json.details;
    return Object.keys(details).length > 0 ? { ...json, details } : (({ details: _d, ...rest }) => rest)(json);
  }
  return json;
}

/**
 * Failures that are not the plugin's doing never trip its breaker: a crashed worker, a platform bug, or
 * a wall-clock timeout while the plugin itself used little CPU (the host was saturated).
 */
function countsAgainstPlugin(error: TkError, measurements: Measurements | undefined): boolean {
  if (error.fault === 'platform') return false;
  if (error.code === 'TK_TIMEOUT' && typeof error.details?.wallLimitMs === 'number') {
    return measurements !== undefined && measurements.cpuMicros >= measurements.cpuBudgetMicros;
  }
  return error.fault === 'plugin';
}
