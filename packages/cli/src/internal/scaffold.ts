import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLUGIN_NAME_PATTERN, TkError } from '@tongkit/sdk';

/** The @tongkit/cli package folder (templates/ and vendor/ live there). */
export function cliRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bin', 'run.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new TkError('TK_INTERNAL', 'cannot find the @tongkit/cli package folder');
    dir = parent;
  }
  return dir;
}

/** Templates shipped with this CLI, by folder name. */
export function listTemplates(): string[] {
  const dir = join(cliRoot(), 'templates');
  return existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
}

export interface ScaffoldOptions {
  target: string;
  template: string;
  name: string;
  force: boolean;
}

export interface ScaffoldResult {
  target: string;
  name: string;
  template: string;
  files: string[];
  vendored: string[];
}

// npm never packs .npmrc and renames .gitignore, so templates keep them as _npmrc/_gitignore.
const DOTFILES: Record<string, string> = { _npmrc: '.npmrc', _gitignore: '.gitignore' };
const VENDOR_DIR = '.tongkit/vendor';

/**
 * Writes a new plugin project from a template: the template files, the Tongkit tarballs this CLI
 * carries (in `.tongkit/vendor/`, referenced as `file:` dependencies), and the project's own name.
 */
export async function scaffoldProject(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { target, template, name } = options;
  if (!new RegExp(PLUGIN_NAME_PATTERN).test(name)) {
    throw new TkError('TK_VALIDATION', `"${name}" is not a valid plugin name`, {
      path: '/name',
      hint: 'Use 3–64 lowercase letters, digits and dashes, starting with a letter (e.g. acme-tiers); pass --name.',
    });
  }
  const templates = listTemplates();
  if (!templates.includes(template)) {
    throw new TkError('TK_NOT_FOUND', `no template "${template}"`, { fault: 'user', hint: `Templates: ${templates.join(', ') || 'none found'}.` });
  }
  if (existsSync(target) && (await readdir(target)).length > 0 && !options.force) {
    throw new TkError('TK_CONFLICT', `${target} exists and is not empty`, { hint: 'Choose a new folder, or pass --force to write into it.' });
  }
  const vendorSource = join(cliRoot(), 'vendor');
  const tarballs = existsSync(vendorSource) ? (await readdir(vendorSource)).filter((f) => f.endsWith('.tgz')) : [];
  const tarballOf = (pkg: string) => tarballs.find((f) => f.startsWith(`tongkit-${pkg}-`));
  const missing = ['sdk', 'runtime', 'cli'].filter((pkg) => !tarballOf(pkg));
  if (missing.length > 0) {
    throw new TkError('TK_INTERNAL', `this copy of the CLI does not carry the @tongkit/${missing.join(', @tongkit/')} tarball(s)`, {
      hint: 'Run `tongkit init` from the Tongkit repository (npm run build) or a full @tongkit/cli install.',
    });
  }

  const source = join(cliRoot(), 'templates', template);
  await mkdir(target, { recursive: true });
  await cp(source, target, { recursive: true, force: true });
  for (const [stored, real] of Object.entries(DOTFILES)) {
    if (existsSync(join(target, stored))) await rename(join(target, stored), join(target, real));
  }
  await mkdir(join(target, VENDOR_DIR), { recursive: true });
  for (const file of tarballs) await cp(join(vendorSource, file), join(target, VENDOR_DIR, file));

  const pkgPath = join(target, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { name: string; devDependencies?: Record<string, string> };
  const templateName = pkg.name;
  pkg.name = name;
  pkg.devDependencies = { ...pkg.devDependencies };
  for (const dep of ['sdk', 'runtime', 'cli']) pkg.devDependencies[`@tongkit/${dep}`] = `file:${VENDOR_DIR}/${tarballOf(dep)}`;
  await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);

  // The plugin's manifest name is the project name.
  const entry = join(target, 'src', 'index.ts');
  if (existsSync(entry)) {
    const code = await readFile(entry, 'utf8');
    await writeFile(entry, code.replace(`name: '${templateName}'`, `name: '${name}'`));
  }
  const files = (await readdir(target, { recursive: true })).filter((f) => !f.startsWith('.tongkit')).sort();
  return { target, name, template, files, vendored: tarballs };
}

/** `npm install` in the new project; npm's own output streams through. */
export function installDependencies(target: string, quiet: boolean): void {
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const result = spawnSync(npm[0]!, [...npm.slice(1), 'install', '--no-fund', '--no-audit'], {
    cwd: target,
    stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    throw new TkError('TK_INTERNAL', `npm install failed in ${target}${result.stderr ? `: ${result.stderr.toString().slice(-500)}` : ''}`, {
      fault: 'user',
      hint: 'Check your network access to the npm registry, then run `npm install` in the project.',
    });
  }
}
