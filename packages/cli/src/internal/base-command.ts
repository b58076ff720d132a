import { Command, Flags } from '@oclif/core';
import { TkError, isTkError, type TkErrorJSON } from '@tongkit/sdk';
import { jsonForTerminal, paint, terminalSafe } from './output.js';
import { HostClient } from './client.js';
import { resolveProfile } from './config.js';

/** Exit codes: 1 a TK_* error a person can fix, 2 a usage error, 70 a Tongkit bug (EX_SOFTWARE). */
export const EXIT = { failure: 1, usage: 2, bug: 70 } as const;

/**
 * The base of every `tongkit` command: `--json` (oclif's), `--dir`, and the only place that turns
 * errors into output and exit codes. A TK_* error prints its code, message, JSON path and what to do
 * next; a stack trace is printed only for bugs (TK_INTERNAL).
 */
export abstract class TongkitCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    dir: Flags.directory({ char: 'C', summary: 'Plugin project folder.', default: '.', helpGroup: 'GLOBAL' }),
  };

  /** Prints a failure in the current mode and sets the exit code, without throwing. */
  protected reportFailure(error: TkError, extra: Record<string, unknown> = {}): void {
    process.exitCode = error.code === 'TK_INTERNAL' ? EXIT.bug : EXIT.failure;
    if (this.jsonEnabled()) {
      this.logJson({ ok: false, error: error.toJSON(), ...extra });
      return;
    }
    process.stderr.write(`${formatError(error.toJSON())}\n`);
    if (error.code === 'TK_INTERNAL' && error.stack) process.stderr.write(`${terminalSafe(error.stack)}\n`);
  }

  /** `--json` output, with the characters a terminal would act on escaped (see {@link jsonForTerminal}). */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${jsonForTerminal(json, 2)}\n`);
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (isTkError(err)) {
      this.reportFailure(err as TkError);
      return;
    }
    if (err.oclif?.exit !== undefined) {
      // Flag and argument errors from oclif's parser: the user's, with usage in the message.
      if (err.oclif.exit === 0) throw err;
      process.exitCode = EXIT.usage;
      if (this.jsonEnabled()) {
        this.logJson({ ok: false, error: new TkError('TK_VALIDATION', err.message, { hint: `Run \`tongkit ${this.id ?? ''} --help\`.` }).toJSON() });
        return;
      }
      return super.catch(err);
    }
    this.reportFailure(new TkError('TK_INTERNAL', err.message || String(err), { cause: err }));
    if (!this.jsonEnabled() && err.stack) process.stderr.write(`${terminalSafe(err.stack)}\n`);
  }
}

/**
 * `✖ TK_CODE message` with the path and the hint on their own lines. Messages, paths and hints often
 * quote a plugin (what it threw, a key it returned), so they are printed {@link terminalSafe}.
 */
export function formatError(error: TkErrorJSON): string {
  const lines = [`${paint('red', '✖')} ${paint('bold', error.code)} ${terminalSafe(error.message)}`];
  if (error.path && !error.message.includes(error.path)) lines.push(`  at ${terminalSafe(error.path)}`);
  lines.push(`  ${paint('dim', '→')} ${terminalSafe(error.hint)}`);
  return lines.join('\n');
}

/** A command that talks to a host: `--host`, `--token`, `--profile` (else the saved login). */
export abstract class HostCommand extends TongkitCommand {
  static override baseFlags = {
    ...TongkitCommand.baseFlags,
    host: Flags.string({ summary: 'Host URL (default: the saved login).', helpGroup: 'HOST', env: 'TONGKIT_HOST' }),
    token: Flags.string({ summary: 'Bearer token (default: the saved login).', helpGroup: 'HOST', env: 'TONGKIT_TOKEN' }),
    profile: Flags.string({ summary: 'Saved login to use (see `tongkit login`).', helpGroup: 'HOST' }),
  };

  protected async client(flags: { host?: string | undefined; token?: string | undefined; profile?: string | undefined }): Promise<HostClient> {
    return new HostClient(await resolveProfile(flags));
  }
}
