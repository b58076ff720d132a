import { isDeepStrictEqual } from 'node:util';
import { PERMISSIONS, getExtensionPoint, type Manifest, type Permission } from '@tongkit/sdk';
// From the runtime's main entry: `@tongkit/runtime/build` would load esbuild into the host for one constant.
import { MAX_BUNDLE_BYTES, runFixtures, type Fixture, type FixtureResult, type LoadedPlugin } from '@tongkit/runtime';
import { scanHostApiUse, type PermissionScan } from './permission-scan.js';

/** How one asked-for permission fares in review. */
export interface PermissionFinding {
  permission: Permission;
  consent: string;
  /** `used`: seen in the code or observed; `unverified`: not seen, but the code hides some access; `unused`: not seen anywhere. */
  status: 'used' | 'unused' | 'unverified';
}

/** One automated check; a version whose checks fail cannot be approved. */
export interface ReviewCheck {
  id: 'loads' | 'bundle-size' | 'fixtures' | 'deterministic' | 'permissions-declared';
  ok: boolean;
  message: string;
}

/** The automated review report of a version, generated when it is deployed. */
export interface ReviewReport {
  plugin: string;
  version: string;
  sha256: string;
  generatedAt: string;
  bundle: { bytes: number; limitBytes: number };
  permissions: PermissionFinding[];
  /** Host APIs the code uses without asking for their permission (each call would be refused). */
  undeclaredUse: Permission[];
  scan: PermissionScan;
  /** Host calls observed while running the fixtures, by namespace. */
  observedHostCalls: string[];
  declared: { points: string[]; events: string[]; schedules: string[] };
  settingsSchema: Record<string, unknown>;
  fixtures: { total: number; passed: number; failed: number; stateful: number; results: FixtureResult[] };
  headroom: { maxCpuMicros: number; cpuBudgetMicros: number; maxHeapBytes: number; heapLimitBytes: number };
  diff: ManifestDiff;
  checks: ReviewCheck[];
  /** All checks passed: a reviewer may approve. */
  passed: boolean;
}

/** What changed against the last approved version (null when there is none). */
export interface ManifestDiff {
  against: string | null;
  permissionsAdded: string[];
  permissionsRemoved: string[];
  pointsAdded: string[];
  pointsRemoved: string[];
  eventsAdded: string[];
  eventsRemoved: string[];
  settingsChanged: boolean;
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

export function diffManifests(next: Manifest, previous: { version: string; manifest: Manifest } | null): ManifestDiff {
  const before = previous?.manifest;
  return {
    against: previous?.version ?? null,
    permissionsAdded: minus(next.permissions, before?.permissions ?? []),
    permissionsRemoved: minus(before?.permissions ?? [], next.permissions),
    pointsAdded: minus(next.extensions, before?.extensions ?? []),
    pointsRemoved: minus(before?.extensions ?? [], next.extensions),
    eventsAdded: minus(next.events, before?.events ?? []),
    eventsRemoved: minus(before?.events ?? [], next.events),
    // The stored manifest comes back from jsonb with its keys reordered: compare values, not their text.
    settingsChanged: before !== undefined && !isDeepStrictEqual(before.settings, next.settings),
  };
}

/**
 * Runs the automated review of a loaded plugin: static permission scan, fixtures warm and fresh,
 * headroom against the budgets, size, and the diff to the last approved version.
 */
export async function buildReviewReport(input: {
  plugin: LoadedPlugin;
  code: string;
  fixtures: readonly Fixture[];
  lastApproved: { version: string; manifest: Manifest } | null;
}): Promise<ReviewReport> {
  const { plugin, code, fixtures } = input;
  const manifest = plugin.manifest;
  const scan = scanHostApiUse(code, { events: manifest.events });
  const observedHostCalls: string[] = [];
  // Host APIs seen in the code, plus what the declared points' inputs imply (member data, say).
  const implied = manifest.extensions.flatMap((point) => getExtensionPoint(point)?.permissions ?? []);
  const seen = new Set<Permission>([...scan.used, ...implied]);
  const permissions: PermissionFinding[] = manifest.permissions.map((permission) => ({
    permission,
    consent: PERMISSIONS[permission].consent,
    status: seen.has(permission) ? 'used' : scan.unverified ? 'unverified' : 'unused',
  }));
  const undeclaredUse = [...seen].filter((p) => !manifest.permissions.includes(p));

  const results = await runFixtures(plugin, fixtures);
  const passed = results.filter((r) => r.passed).length;
  const stateful = results.filter((r) => r.stateful).length;
  const first = results[0]?.measurements;
  const headroom = {
    maxCpuMicros: Math.max(0, ...results.map((r) => r.measurements.cpuMicros)),
    cpuBudgetMicros: first?.cpuBudgetMicros ?? 0,
    maxHeapBytes: Math.max(0, ...results.map((r) => r.measurements.heapUsedBytes)),
    heapLimitBytes: first?.heapLimitBytes ?? 0,
  };
  const bytes = manifest.bundle.bytes;
  const checks: ReviewCheck[] = [
    { id: 'loads', ok: true, message: 'the bundle loads and implements exactly the points its manifest declares' },
    { id: 'bundle-size', ok: bytes <= MAX_BUNDLE_BYTES, message: `${bytes} of ${MAX_BUNDLE_BYTES} bytes` },
    {
      id: 'fixtures',
      // Fixtures exercise extension points; a plugin with events only has nothing they could cover.
      ok: passed === results.length && (results.length > 0 || manifest.extensions.length === 0),
      message:
        results.length > 0
          ? `${passed} of ${results.length} fixtures pass`
          : manifest.extensions.length === 0
            ? 'no fixtures needed: the plugin declares no extension points'
            : 'no fixtures were deployed with this version',
    },
    { id: 'deterministic', ok: stateful === 0, message: stateful === 0 ? 'warm and fresh runs agree' : `${stateful} fixtures answer differently warm and fresh` },
    {
      id: 'permissions-declared',
      ok: undeclaredUse.length === 0,
      message: undeclaredUse.length === 0 ? 'every host API used is declared' : `uses ${undeclaredUse.join(', ')} without declaring it`,
    },
  ];
  return {
    plugin: manifest.name,
    version: manifest.version,
    sha256: plugin.sha256,
    generatedAt: new Date().toISOString(),
    bundle: { bytes, limitBytes: MAX_BUNDLE_BYTES },
    permissions,
    undeclaredUse,
    scan,
    observedHostCalls,
    declared: { points: manifest.extensions, events: manifest.events, schedules: (manifest.schedules ?? []).map((s) => `${s.name} (${s.cron})`) },
    settingsSchema: manifest.settings,
    fixtures: { total: results.length, passed, failed: results.length - passed, stateful, results },
    headroom,
    diff: diffManifests(manifest, input.lastApproved),
    checks,
    passed: checks.every((c) => c.ok),
  };
}
