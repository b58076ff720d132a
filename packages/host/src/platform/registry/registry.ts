import { createHash } from 'node:crypto';
import { TkError, type Manifest } from '@tongkit/sdk';
import { checkFixture, type Fixture, type PluginBundle, type Runtime } from '@tongkit/runtime';
import type { Database, Queryable } from '../storage/database.js';
import { requireRole, type Principal } from '../auth/principal.js';
import { buildReviewReport, type ReviewReport } from './review-report.js';
import { CREATED_AT_MICROS_SQL, decodeVersionCursor, encodeVersionCursor, timestampFromMicrosSql } from './version-cursor.js';
import { versionVisibleTo } from './visibility.js';
import type { DeployUpload, VersionDetail, VersionFilter, VersionPage, VersionStatus, VersionSummary } from './schemas.js';

export type { DeployUpload, VersionDetail, VersionFilter, VersionPage, VersionStatus, VersionSummary } from './schemas.js';

interface VersionRow {
  plugin_name: string;
  version: string;
  status: VersionStatus;
  sha256: string;
  bytes: number;
  manifest: Manifest;
  report: ReviewReport;
  review_comment: string | null;
  reviewed_by: string | null;
  created_at: Date;
  submitted_at: Date | null;
  reviewed_at: Date | null;
  developer_id: string;
  private_merchant_id: string | null;
}

interface PluginRow {
  developer_id: string;
  private_merchant_id: string | null;
}

const VERSION_COLUMNS = `v.plugin_name, v.version, v.status, v.sha256, v.bytes, v.manifest, v.report, v.review_comment,
  v.reviewed_by, v.created_at, v.submitted_at, v.reviewed_at, p.developer_id, p.private_merchant_id`;

function summarize(row: VersionRow): VersionSummary {
  return {
    plugin: row.plugin_name,
    version: row.version,
    status: row.status,
    sha256: row.sha256,
    bytes: row.bytes,
    permissions: row.manifest.permissions,
    points: row.manifest.extensions,
    events: row.manifest.events,
    reviewComment: row.review_comment,
    reviewedBy: row.reviewed_by,
    createdAt: row.created_at.toISOString(),
    submittedAt: row.submitted_at?.toISOString() ?? null,
    reviewedAt: row.reviewed_at?.toISOString() ?? null,
    checksPassed: row.report.passed,
    privateFor: row.private_merchant_id,
  };
}

function readFixtures(raw: unknown[] | undefined): Fixture[] {
  return (raw ?? []).map((fixture, i) => {
    // `file` names where the fixture came from (tongkit deploy sends it); the rest is the fixture.
    const { file, ...body } = (typeof fixture === 'object' && fixture !== null ? fixture : { value: fixture }) as { file?: unknown } & Record<string, unknown>;
    try {
      // A fixture may expect nothing here (a smoke run the review reports), but never both.
      return checkFixture(body, typeof file === 'string' ? file.slice(0, 200) : `fixtures/${i}.json`, { smoke: true });
    } catch (error) {
      if (!(error instanceof TkError)) throw error;
      const path = `/fixtures/${i}${!error.path || error.path === '/' ? '' : error.path}`;
      throw new TkError(error.code, error.message, { path, hint: error.hint, ...(error.details ? { details: error.details } : {}) });
    }
  });
}

function versionNotFound(name: string, version: string): TkError {
  return new TkError('TK_NOT_FOUND', `no version ${name}@${version}`, { hint: 'List versions with `tongkit versions list`.' });
}

/**
 * Plugins and their immutable versions: deploy (verify + automated review), submit, approve or reject,
 * and the approved bundles installs run. Every method checks the caller's role and ownership.
 */
export class Registry {
  constructor(
    private readonly db: Database,
    private readonly runtime: Runtime,
  ) {}

  /**
   * Stores a new draft version after verifying it in the sandbox (manifest, hash, handlers) and
   * generating its review report. Deploying the same bytes again returns the existing version
   * (idempotent, also when both deploys run at once); different bytes under an existing version number
   * is TK_CONFLICT, and so is a `privateFor` other than the plugin's. The first deploy of a name makes
   * the caller its owner; only the owner (or an admin) deploys further versions of it.
   */
  async deploy(principal: Principal, upload: DeployUpload): Promise<VersionDetail> {
    requireRole(principal, 'developer');
    const fixtures = readFixtures(upload.fixtures);
    const bundle: PluginBundle = { manifest: upload.manifest as Manifest, code: upload.code, sourceMap: upload.sourceMap };
    // Review runs in the sandbox workers like any install, under the developer's own quotas.
    const plugin = await this.runtime.load(bundle, {
      installId: `review:${createHash('sha256').update(upload.code).digest('hex').slice(0, 16)}`,
      tenant: `developer:${principal.subjectId}`,
    });
    const { manifest, sha256 } = plugin;

    // Answer a retry, or refuse a name the caller may not use, before the review (the slow part).
    const existing = await this.findVersion(this.db, manifest.name, manifest.version);
    if (existing) return this.detail(this.sameVersion(principal, existing, sha256));
    this.assertMayDeploy(principal, manifest.name, await this.pluginOf(this.db, manifest.name), upload.privateFor);
    const lastApproved = await this.lastApproved(manifest.name);
    const report = await buildReviewReport({ plugin, code: upload.code, fixtures, lastApproved });

    const stored = await this.db.transaction(async (tx) => {
      // Deploys of one plugin name take turns from here. The checks above ran before a review that can
      // take seconds, so another deploy may have claimed the name or stored this version meanwhile: they
      // are made again under the lock, where nothing can change them until this transaction ends.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`plugin:${manifest.name}`]);
      const raced = await this.findVersion(tx, manifest.name, manifest.version);
      if (raced) return this.sameVersion(principal, raced, sha256);
      const owner = await this.pluginOf(tx, manifest.name);
      this.assertMayDeploy(principal, manifest.name, owner, upload.privateFor);
      if (!owner) {
        await tx.query(`INSERT INTO plugins (name, developer_id, private_merchant_id) VALUES ($1, $2, $3)`, [
          manifest.name,
          principal.subjectId,
          upload.privateFor ?? null,
        ]);
      }
      const inserted = await tx.query(
        `INSERT INTO plugin_versions (plugin_name, version, manifest, bundle, source_map, sha256, bytes, fixtures, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
        [manifest.name, manifest.version, manifest, upload.code, upload.sourceMap ?? null, sha256, manifest.bundle.bytes, JSON.stringify(fixtures), report],
      );
      // Unreachable while every writer takes the lock; if one ever does not, refuse rather than answer
      // with a version whose code is not the caller's.
      if (inserted.rowCount !== 1) {
        throw new TkError('TK_CONFLICT', `${manifest.name}@${manifest.version} was deployed by another request at the same time`, {
          hint: 'Deploy again: the same code is then that version, other code needs a new version number.',
        });
      }
      return (await this.findVersion(tx, manifest.name, manifest.version))!;
    });
    return this.detail(stored);
  }

  /**
   * Moves a draft (or a rejected version, after fixes elsewhere) into the review queue. Idempotent.
   * Another developer's version is looked up as the caller sees it: the same TK_NOT_FOUND as none.
   */
  async submit(principal: Principal, name: string, version: string): Promise<VersionSummary> {
    requireRole(principal, 'developer');
    const row = await this.visibleVersion(principal, name, version);
    if (row.status === 'submitted' || row.status === 'approved') return summarize(row);
    if (row.status === 'rejected') {
      throw new TkError('TK_CONFLICT', `${name}@${version} was rejected: ${row.review_comment ?? ''}`, { hint: 'Fix it, bump the version and deploy again.' });
    }
    await this.db.query(`UPDATE plugin_versions SET status = 'submitted', submitted_at = now() WHERE plugin_name = $1 AND version = $2 AND status = 'draft'`, [name, version]);
    return summarize(await this.requireVersion(name, version));
  }

  /**
   * A reviewer's decision. Approval needs passing automated checks. A brand's private plugin may
   * instead be approved by that brand's own merchant account. The role is checked first and the
   * version is looked up as the caller may see it ({@link versionVisibleTo}), so a version the caller
   * may not see (another brand's private plugin, a draft) answers like one that does not exist; a
   * merchant is told it needs a reviewer only about versions it may see.
   */
  async decide(principal: Principal, name: string, version: string, decision: 'approve' | 'reject', comment: string): Promise<VersionSummary> {
    requireRole(principal, 'reviewer', 'merchant');
    const row = await this.visibleVersion(principal, name, version);
    if (principal.role === 'merchant' && row.private_merchant_id !== principal.subjectId) {
      throw new TkError('TK_FORBIDDEN', `${name}@${version} is reviewed by the marketplace's reviewers`, {
        hint: 'A merchant decides on its own brand’s private plugins only; a reviewer decides on this one.',
      });
    }
    const target = decision === 'approve' ? 'approved' : 'rejected';
    if (row.status === target) return summarize(row);
    if (row.status !== 'submitted') {
      throw new TkError('TK_CONFLICT', `${name}@${version} is ${row.status}, not submitted`, { hint: 'Only submitted versions can be reviewed (`tongkit submit`).' });
    }
    if (decision === 'approve' && !row.report.passed) {
      const failing = row.report.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`);
      throw new TkError('TK_CONFLICT', `${name}@${version} fails automated checks (${failing.join('; ')})`, { hint: 'Reject it with a comment instead.' });
    }
    if (decision === 'reject' && comment.trim() === '') {
      throw new TkError('TK_VALIDATION', 'a rejection needs a comment the developer can act on', { path: '/comment' });
    }
    await this.db.query(
      `UPDATE plugin_versions SET status = $3, review_comment = $4, reviewed_by = $5, reviewed_at = now()
       WHERE plugin_name = $1 AND version = $2 AND status = 'submitted'`,
      [name, version, target, comment, `${principal.role}:${principal.subjectId}`],
    );
    return summarize(await this.requireVersion(name, version));
  }

  /**
   * Versions the caller may see ({@link versionVisibleTo}): a developer its own, reviewers everything
   * past draft. A merchant lists its own brand's private plugins only; the marketplace is its catalog.
   */
  async listVersions(principal: Principal, filter: VersionFilter = {}): Promise<VersionPage> {
    const params: unknown[] = [];
    const clauses = [versionVisibleTo(principal, params)];
    if (principal.role === 'merchant') {
      params.push(principal.subjectId);
      clauses.push(`p.private_merchant_id = $${params.length}`);
    }
    if (filter.plugin) {
      params.push(filter.plugin);
      clauses.push(`v.plugin_name = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      clauses.push(`v.status = $${params.length}`);
    }
    if (filter.cursor) {
      const after = decodeVersionCursor(filter.cursor);
      params.push(after.createdAtMicros, after.plugin, after.version);
      clauses.push(`(v.created_at, v.plugin_name, v.version) < (${timestampFromMicrosSql(`$${params.length - 2}`)}, $${params.length - 1}, $${params.length})`);
    }
    const limit = filter.limit ?? 50;
    params.push(limit + 1);
    const { rows } = await this.db.query<VersionRow & { created_at_micros: number }>(
      `SELECT ${VERSION_COLUMNS}, ${CREATED_AT_MICROS_SQL} AS created_at_micros FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name
       WHERE ${clauses.join(' AND ')} ORDER BY v.created_at DESC, v.plugin_name DESC, v.version DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(summarize),
      nextCursor: rows.length > limit && last ? encodeVersionCursor({ createdAtMicros: last.created_at_micros, plugin: last.plugin_name, version: last.version }) : null,
    };
  }

  /**
   * One version with its report, if the caller may see it ({@link versionVisibleTo}). A version the
   * caller may not see is the same TK_NOT_FOUND as one that does not exist, so its name leaks nothing.
   */
  async getVersion(principal: Principal, name: string, version: string): Promise<VersionDetail> {
    return this.detail(await this.visibleVersion(principal, name, version));
  }

  /** The stored bundle of a version, for installs to run; its hash is checked again at load. */
  async bundleOf(db: Queryable, name: string, version: string): Promise<PluginBundle & { status: VersionStatus; sha256: string; privateFor: string | null }> {
    const { rows } = await db.query<{ manifest: Manifest; bundle: string; source_map: string | null; status: VersionStatus; sha256: string; private_merchant_id: string | null }>(
      `SELECT v.manifest, v.bundle, v.source_map, v.status, v.sha256, p.private_merchant_id
       FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name WHERE v.plugin_name = $1 AND v.version = $2`,
      [name, version],
    );
    const row = rows[0];
    if (!row) throw new TkError('TK_NOT_FOUND', `no version ${name}@${version}`);
    const actual = createHash('sha256').update(row.bundle).digest('hex');
    if (actual !== row.sha256) {
      throw new TkError('TK_MANIFEST_INVALID', `the stored bundle of ${name}@${version} differs from the reviewed one; refusing to run it`, {
        fault: 'platform',
        details: { expected: row.sha256, actual },
      });
    }
    return { manifest: row.manifest, code: row.bundle, sourceMap: row.source_map ?? undefined, status: row.status, sha256: row.sha256, privateFor: row.private_merchant_id };
  }

  private async detail(row: VersionRow): Promise<VersionDetail> {
    return { ...summarize(row), manifest: row.manifest, report: row.report };
  }

  private assertOwner(principal: Principal, row: VersionRow): void {
    if (principal.role !== 'admin' && row.developer_id !== principal.subjectId) {
      throw new TkError('TK_FORBIDDEN', `${row.plugin_name} belongs to another developer`);
    }
  }

  /** A stored version deployed again: the same bytes are that version (a retry); other bytes are a conflict. */
  private sameVersion(principal: Principal, existing: VersionRow, sha256: string): VersionRow {
    this.assertOwner(principal, existing);
    if (existing.sha256 !== sha256) {
      throw new TkError('TK_CONFLICT', `${existing.plugin_name}@${existing.version} already exists with different code`, {
        hint: 'Versions are immutable: bump `version` in definePlugin and deploy again.',
      });
    }
    return existing;
  }

  /** A new version under `name`: its owner's (or an admin's, for an existing plugin) to deploy, for the same audience. */
  private assertMayDeploy(principal: Principal, name: string, plugin: PluginRow | undefined, privateFor: string | undefined): void {
    if (plugin && plugin.developer_id !== principal.subjectId && principal.role !== 'admin') {
      throw new TkError('TK_FORBIDDEN', `the plugin name ${name} belongs to another developer`, { hint: 'Choose another plugin name.' });
    }
    if (!plugin && principal.role === 'admin') {
      // A plugin is owned by a developer; an admin is none (and would fail the plugins.developer_id key).
      throw new TkError('TK_FORBIDDEN', `${name} is a new plugin: its developer deploys its first version`, {
        hint: 'Deploy with a developer token; admins may deploy new versions of existing plugins.',
      });
    }
    // Who a plugin serves is fixed by its first deploy; a different audience later would otherwise be
    // dropped without a word (a version meant for one brand published to every merchant).
    if (plugin && privateFor !== undefined && privateFor !== plugin.private_merchant_id) {
      throw new TkError('TK_CONFLICT', `${name} is ${plugin.private_merchant_id === null ? 'a public plugin' : `private to merchant ${plugin.private_merchant_id}`}; privateFor cannot change it`, {
        path: '/privateFor',
        hint: 'Leave privateFor out to deploy a new version for the same audience, or deploy under another plugin name.',
      });
    }
  }

  private async pluginOf(db: Queryable, name: string): Promise<PluginRow | undefined> {
    const { rows } = await db.query<PluginRow>('SELECT developer_id, private_merchant_id FROM plugins WHERE name = $1', [name]);
    return rows[0];
  }

  private async lastApproved(name: string): Promise<{ version: string; manifest: Manifest } | null> {
    const { rows } = await this.db.query<{ version: string; manifest: Manifest }>(
      `SELECT version, manifest FROM plugin_versions WHERE plugin_name = $1 AND status = 'approved' ORDER BY reviewed_at DESC LIMIT 1`,
      [name],
    );
    return rows[0] ?? null;
  }

  private async findVersion(db: Queryable, name: string, version: string): Promise<VersionRow | undefined> {
    const { rows } = await db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name WHERE v.plugin_name = $1 AND v.version = $2`,
      [name, version],
    );
    return rows[0];
  }

  /** A version as `principal` may see it ({@link versionVisibleTo}); one it may not see is TK_NOT_FOUND like a missing one. */
  private async visibleVersion(principal: Principal, name: string, version: string): Promise<VersionRow> {
    const params: unknown[] = [name, version];
    const visible = versionVisibleTo(principal, params);
    const { rows } = await this.db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name
       WHERE v.plugin_name = $1 AND v.version = $2 AND ${visible}`,
      params,
    );
    if (!rows[0]) throw versionNotFound(name, version);
    return rows[0];
  }

  private async requireVersion(name: string, version: string): Promise<VersionRow> {
    const row = await this.findVersion(this.db, name, version);
    if (!row) throw versionNotFound(name, version);
    return row;
  }
}
