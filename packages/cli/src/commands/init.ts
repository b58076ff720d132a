import { basename, relative, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { TongkitCommand } from '../internal/base-command.js';
import { paint } from '../internal/output.js';
import { installDependencies, listTemplates, scaffoldProject } from '../internal/scaffold.js';

export default class Init extends TongkitCommand {
  static override summary = 'Create a plugin project from a template.';
  static override description = `Writes a ready-to-test plugin project: source, fixtures, a vitest suite that runs the plugin in
the real sandbox, and the Tongkit packages as local tarballs (no registry needed for @tongkit/*).
Asks for what is missing when run in a terminal; pass flags (or --yes) in scripts.`;
  static override examples = [
    '<%= config.bin %> init my-tiers --template member-tier',
    '<%= config.bin %> init ./plugins/acme-tiers --name acme-tiers --template member-tier --install',
    '<%= config.bin %> init my-tiers --yes --json',
  ];
  static override args = {
    dir: Args.string({ description: 'Folder to create (its name is the default plugin name).' }),
  };
  static override flags = {
    template: Flags.string({ char: 't', summary: 'Template to start from.', default: 'member-tier' }),
    name: Flags.string({ char: 'n', summary: 'Plugin name (lowercase, dashes); defaults to the folder name.' }),
    install: Flags.boolean({ summary: 'Run npm install in the new project.', default: false }),
    force: Flags.boolean({ summary: 'Write into a folder that is not empty.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask; use flags and defaults.', default: false }),
  };

  async run() {
    const { args, flags } = await this.parse(Init);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.yes && !this.jsonEnabled();
    let { dir } = args;
    let { template, install } = flags;
    if (interactive) {
      const { input, select, confirm } = await import('@inquirer/prompts');
      dir ??= await input({ message: 'Project folder', default: 'my-plugin' });
      const templates = listTemplates();
      if (templates.length > 1) template = await select({ message: 'Template', choices: templates.map((t) => ({ value: t })), default: template });
      if (!flags.install) install = await confirm({ message: 'Install dependencies now (npm install)?', default: true });
    }
    if (!dir) {
      throw new TkError('TK_VALIDATION', 'no project folder given', { fault: 'user', hint: 'Run `tongkit init <dir> --template member-tier`.' });
    }
    const target = resolve(flags.dir, dir);
    const name = flags.name ?? basename(target);
    const result = await scaffoldProject({ target, template, name, force: flags.force });
    if (install) {
      if (!this.jsonEnabled()) this.log(paint('dim', 'installing dependencies (npm install)…'));
      installDependencies(target, this.jsonEnabled());
    }
    const where = relative(process.cwd(), target) || '.';
    if (!this.jsonEnabled()) {
      this.log(`${paint('green', '✔')} created ${paint('bold', name)} from the ${template} template in ${where}`);
      this.log('\nnext:');
      this.log(`  cd ${where}`);
      if (!install) this.log('  npm install');
      this.log('  npm test                                   # fixtures + tests in the real sandbox');
      this.log('  npx tongkit run member.tier.compute --input fixtures/gold.json');
    }
    return { ok: true, ...result, installed: install };
  }
}
