import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TkError } from '@tongkit/sdk';

/** A saved login: which host, with which token. */
export interface Profile {
  host: string;
  token: string;
  role?: string | undefined;
}

interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

/** `~/.tongkit/config.json` (or `$TONGKIT_HOME/config.json`): profiles written by `tongkit login` and `tongkit host start`. */
export function configPath(): string {
  return join(process.env.TONGKIT_HOME ?? join(homedir(), '.tongkit'), 'config.json');
}

async function readConfig(): Promise<ConfigFile> {
  const path = configPath();
  if (!existsSync(path)) return { profiles: {} };
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ConfigFile;
  } catch (error) {
    throw new TkError('TK_VALIDATION', `${path} is not valid JSON: ${(error as Error).message}`, { fault: 'user', hint: 'Fix or delete the file, then `tongkit login` again.' });
  }
}

/** Saves a profile (and makes it current unless told otherwise); the file is readable by its owner only. */
export async function saveProfile(name: string, profile: Profile, makeCurrent = true): Promise<string> {
  const config = await readConfig();
  config.profiles[name] = profile;
  if (makeCurrent) config.current = name;
  const path = configPath();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** The host and token to use: flags, then TONGKIT_HOST/TONGKIT_TOKEN, then the named or current profile. */
export async function resolveProfile(flags: { host?: string | undefined; token?: string | undefined; profile?: string | undefined }): Promise<Profile> {
  const config = await readConfig();
  // Empty values (an unset variable exported as "") count as absent.
  const name = flags.profile || process.env.TONGKIT_PROFILE || config.current;
  const saved = name ? config.profiles[name] : undefined;
  if (flags.profile && !saved) throw new TkError('TK_NOT_FOUND', `no profile "${flags.profile}" in ${configPath()}`, { fault: 'user', hint: 'Run `tongkit login --profile NAME`.' });
  const host = flags.host || process.env.TONGKIT_HOST || saved?.host;
  const token = flags.token || process.env.TONGKIT_TOKEN || saved?.token;
  if (!host || !token) {
    throw new TkError('TK_UNAUTHORIZED', 'not logged in to a Tongkit host', {
      hint: 'Start one with `tongkit host start`, or run `tongkit login --host URL --token TOKEN`.',
    });
  }
  return { host: host.replace(/\/+$/, ''), token, role: saved?.role };
}
