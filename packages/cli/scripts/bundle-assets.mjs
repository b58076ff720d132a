// Build step of @tongkit/cli: ships the templates and the Tongkit packages inside the CLI, so
// `tongkit init` can write a project whose @tongkit/* dependencies are `file:` tarballs the CLI
// carries — installable anywhere, with no @tongkit package on any registry (never a bare ^0.x range
// that someone else's package could satisfy).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(cli, '..', '..');

rmSync(join(cli, 'templates'), { recursive: true, force: true });
cpSync(join(repo, 'templates'), join(cli, 'templates'), {
  recursive: true,
  filter: (src) => !/[\\/](node_modules|dist|\.tongkit)([\\/]|$)/.test(src),
});

const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const pack = (dir, destination) =>
  execFileSync(npm[0], [...npm.slice(1), 'pack', dir, '--pack-destination', destination, '--silent', '--ignore-scripts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });

const vendor = join(cli, 'vendor');
rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor);
pack(join(repo, 'packages', 'sdk'), vendor);
pack(join(repo, 'packages', 'runtime'), vendor);
// The CLI's own tarball is packed last (it carries the two above) and moved in afterwards.
const staging = mkdtempSync(join(tmpdir(), 'tongkit-pack-'));
pack(cli, staging);
for (const file of readdirSync(staging)) renameSync(join(staging, file), join(vendor, file));
rmSync(staging, { recursive: true, force: true });
process.stdout.write(`bundled templates and ${readdirSync(vendor).join(', ')}\n`);
