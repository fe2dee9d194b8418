import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hashPin, PIN_HASH_COST, verifyPin } from '../state/pinHash.js';

/**
 * admin: everything but listening to recordings; security: the console and acknowledgements; auditor:
 * read-only API and reports; recordings: fetching recordings of the service areas named on the token.
 */
export const ROLES = ['admin', 'security', 'auditor', 'recordings'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  name: string;
  role: Role;
  /** Public part of the token: finds the entry without trying every hash. */
  id: string;
  /** scrypt hash of the secret part (src/state/pinHash.ts format). */
  hash: string;
  created: string;
  /** For the recordings role: the service areas (recording notice ids) whose recordings it may fetch. */
  areas?: string[] | undefined;
}

export interface Caller {
  name: string;
  role: Role;
  areas?: readonly string[] | undefined;
}

/** The data directory: CALLGUARD_DATA_DIR, else ./data. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CALLGUARD_DATA_DIR || 'data';
}

/** CALLGUARD_TOKENS, else <data dir>/tokens.json. */
export function tokensPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CALLGUARD_TOKENS || join(dataDir(env), 'tokens.json');
}

const TOKEN = /^cg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function readTokenFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { tokens?: unknown };
  if (!Array.isArray(parsed.tokens)) throw new Error(`${path}: not a callguard token file`);
  return (parsed.tokens as TokenEntry[]).filter(
    (t) => typeof t?.name === 'string' && typeof t.id === 'string' && typeof t.hash === 'string' && (ROLES as readonly string[]).includes(t.role),
  );
}

function writeTokenFile(path: string, tokens: TokenEntry[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify({ tokens }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** Adds a token and returns it: the only time the secret exists outside the caller's hands. */
export async function addToken(path: string, name: string, role: Role, cost: { N: number; r: number; p: number } = PIN_HASH_COST, areas?: readonly string[]): Promise<string> {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a token name (letters, digits, . _ @ -; at most 64)`);
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
  if (role === 'recordings' && !areas?.length) throw new Error('a recordings token needs the service areas it may fetch (--areas)');
  if (role !== 'recordings' && areas?.length) throw new Error('only a recordings token names service areas');
  const tokens = readTokenFile(path);
  if (tokens.some((t) => t.name === name)) throw new Error(`a token named ${name} exists; remove it first`);
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  tokens.push({ name, role, id, hash: await hashPin(secret, cost as typeof PIN_HASH_COST), created: new Date().toISOString(), ...(areas?.length ? { areas: [...areas] } : {}) });
  writeTokenFile(path, tokens);
  return `cg_${id}_${secret}`;
}

export function removeToken(path: string, name: string): boolean {
  const tokens = readTokenFile(path);
  const kept = tokens.filter((t) => t.name !== name);
  if (kept.length === tokens.length) return false;
  writeTokenFile(path, kept);
  return true;
}

/** Verified tokens are remembered briefly (by a digest, never the token) so each request is not a 50 ms scrypt. */
const CACHE_MS = 60_000;
const DUMMY_HASH_COST = PIN_HASH_COST;

/**
 * Checks bearer tokens against the token file, re-reading it when it changes (so `callguard token add`
 * takes effect without a restart). Unknown ids cost the same scrypt as known ones.
 */
export class TokenVerifier {
  private entries: TokenEntry[] = [];
  private stamp = '';
  private readonly cache = new Map<string, { caller: Caller; until: number; stamp: string }>();
  private dummy: Promise<string> | undefined;

  constructor(
    readonly path: string,
    private readonly onFileError: (message: string) => void = () => {},
  ) {}

  private refresh(): void {
    let stamp: string;
    try {
      const s = statSync(this.path);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      stamp = 'absent';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.cache.clear();
    try {
      this.entries = stamp === 'absent' ? [] : readTokenFile(this.path);
    } catch (error) {
      this.entries = [];
      this.onFileError((error as Error).message);
    }
  }

  get count(): number {
    this.refresh();
    return this.entries.length;
  }

  async verify(token: string): Promise<Caller | undefined> {
    this.refresh();
    const digest = createHash('sha256').update(token).digest('base64');
    const hit = this.cache.get(digest);
    if (hit && hit.until > Date.now() && hit.stamp === this.stamp) return hit.caller;
    const match = TOKEN.exec(token);
    const entry = match ? this.entries.find((e) => e.id === match[1]) : undefined;
    if (!match || !entry) {
      // The same slow work as a real check, so timing does not tell a guesser which ids exist.
      this.dummy ??= hashPin('not-a-token', DUMMY_HASH_COST);
      await verifyPin(match?.[2] ?? token.slice(0, 64), await this.dummy);
      return undefined;
    }
    if (!(await verifyPin(match[2]!, entry.hash))) return undefined;
    const caller: Caller = { name: entry.name, role: entry.role, areas: entry.areas };
    this.cache.set(digest, { caller, until: Date.now() + CACHE_MS, stamp: this.stamp });
    return caller;
  }
}
