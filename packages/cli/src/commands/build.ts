import { relative, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { buildPlugin, writePluginDir } from '@tongkit/runtime/build';
import { TongkitCommand } from '../internal/base-command.js';
import { bytes, paint } from '../internal/output.js';

export default class Build extends TongkitCommand {
  static override summary = 'Bundle the plugin for the sandbox and write its manifest.';
  static override description = `Bundles src/index.ts with esbuild into dist/plugin.js (no TypeBox, no Node APIs), writes
dist/plugin.js.map and dist/manifest.json (name, version, permissions, settings JSON Schema, points,
events, sha256) and reports the size against the 256 KB limit.`;
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --out build --json', '<%= config.bin %> build -C examples/member-tiers'];
  static override flags = {
    out: Flags.string({ char: 'o', summary: 'Output folder, relative to the project.', default: 'dist' }),
    minify: Flags.boolean({ summary: 'Minify the bundle (the source map keeps stacks readable).', default: true, allowNo: true }),
  };

  async run() {
    const { flags } = await this.parse(Build);
    const result = await buildPlugin(flags.dir, { minify: flags.minify });
    const outDir = resolve(flags.dir, flags.out);
    await writePluginDir(outDir, result.bundle);
    const { manifest } = result.bundle;
    const share = (result.bytes / result.limitBytes) * 100;
    if (!this.jsonEnabled()) {
      const where = relative(process.cwd(), outDir) || '.';
      this.log(`${paint('green', '✔')} built ${paint('bold', `${manifest.name}@${manifest.version}`)} in ${result.durationMs.toFixed(0)} ms`);
      this.log(`  ${where}/plugin.js      ${bytes(result.bytes)} (${share.toFixed(1)}% of the ${bytes(result.limitBytes)} limit)`);
      this.log(`  ${where}/manifest.json  points: ${manifest.extensions.join(', ') || 'none'} · events: ${manifest.events.join(', ') || 'none'}`);
      this.log(`  ${where}/plugin.js.map  sha256 ${manifest.bundle.sha256}`);
      this.log(`  permissions: ${manifest.permissions.join(', ') || 'none'}`);
    }
    return {
      ok: true,
      outDir,
      manifest,
      bytes: result.bytes,
      limitBytes: result.limitBytes,
      durationMs: Math.round(result.durationMs),
    };
  }
}
