import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { TkError } from '@tongkit/sdk';

/**
 * The host key ring: 32-byte keys by key ID, one of them active. New ciphertexts and phone digests are
 * made with the active key; older ones still open with the key their row names, until
 * `Members.rotateKeys` has re-made them with the active one.
 */
export interface HostKeyRing {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** Key IDs end up in rows and key files: short, plain. */
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** The environment variable holding the key ring: `kid:base64[,kid:base64…]`, the first one active. */
export const HOST_KEY_ENV = 'TONGKIT_HOST_KEY';
/** The environment variable naming a key file (see {@link readKeyFile}). */
export const HOST_KEY_FILE_ENV = 'TONGKIT_HOST_KEY_FILE';

function keyOf(id: string, base64: string, where: string): [string, Buffer] {
  if (!KEY_ID.test(id)) throw new TkError('TK_VALIDATION', `${where}: key ID "${id.slice(0, 40)}" is not 1–32 letters, digits, _ . -`);
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new TkError('TK_VALIDATION', `${where}: key ${id} is ${key.length} bytes; host keys are 32 random bytes, base64`);
  return [id, key];
}

/**
 * Parses `TONGKIT_HOST_KEY`: `kid:base64` entries separated by commas, the first active, e.g.
 * `k2:…,k1:…` while rotating from k1 to k2.
 */
export function parseHostKeyEnv(value: string): HostKeyRing {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new TkError('TK_VALIDATION', `${HOST_KEY_ENV}: each entry is kid:base64`, { hint: 'e.g. TONGKIT_HOST_KEY=k1:$(openssl rand -base64 32)' });
    return keyOf(entry.slice(0, colon), entry.slice(colon + 1), HOST_KEY_ENV);
  });
  if (entries.length === 0) throw new TkError('TK_VALIDATION', `${HOST_KEY_ENV} holds no key`);
  return { activeKeyId: entries[0]![0], keys: new Map(entries) };
}

/** A key file: `{ "activeKeyId": "k1", "keys": { "k1": "<base64 of 32 bytes>" } }`. */
interface KeyFile {
  activeKeyId: string;
  keys: Record<string, string>;
}

/** Reads a key file (JSON, see {@link KeyFile}). */
export async function readKeyFile(path: string): Promise<HostKeyRing> {
  let file: KeyFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  } catch (error) {
    throw new TkError('TK_VALIDATION', `cannot read the host key file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const keys = new Map(Object.entries(file.keys ?? {}).map(([id, base64]) => keyOf(id, String(base64), path)));
  if (!keys.has(file.activeKeyId)) throw new TkError('TK_VALIDATION', `${path}: the active key ${String(file.activeKeyId)} is not among its keys`, { path: '/activeKeyId' });
  return { activeKeyId: file.activeKeyId, keys };
}

/** Writes a key ring as a key file readable by its owner only (mode 0600). */
export async function writeKeyFile(path: string, ring: HostKeyRing): Promise<void> {
  const file: KeyFile = { activeKeyId: ring.activeKeyId, keys: Object.fromEntries([...ring.keys].map(([id, key]) => [id, key.toString('base64')])) };
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(path, 0o600);
}

/** A new key ring of one random key. */
export function generateHostKeyRing(keyId = 'k1'): HostKeyRing {
  return { activeKeyId: keyId, keys: new Map([[keyId, randomBytes(32)]]) };
}

/**
 * The host key ring, from configuration first: `TONGKIT_HOST_KEY`, then the file `TONGKIT_HOST_KEY_FILE`
 * names; otherwise the key file `defaultFile`, created with a new random key on first start. The
 * embedded host passes `<dataDir>/host-key.json`: beside the PostgreSQL data folder
 * (`<dataDir>/postgres`), never inside it, so neither the database nor its dumps nor a copy of the data
 * folder hold the key. Several hosts on one database must be given the same key by configuration.
 */
export async function loadHostKeys(defaultFile: string, env: NodeJS.ProcessEnv = process.env): Promise<HostKeyRing> {
  const inline = env[HOST_KEY_ENV];
  if (inline) return parseHostKeyEnv(inline);
  const file = env[HOST_KEY_FILE_ENV];
  if (file) return readKeyFile(file);
  if (existsSync(defaultFile)) return readKeyFile(defaultFile);
  const ring = generateHostKeyRing();
  await writeKeyFile(defaultFile, ring);
  return ring;
}
