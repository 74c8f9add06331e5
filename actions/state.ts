/**
 * Persistence of active bans and offence history, so that they survive a restart and a crash
 * (`kill -9`, power loss).
 *
 * The file is JSON with a `version` field, written atomically: a temporary file in the same
 * directory is written and fsynced, renamed over the old file, and the directory is fsynced.
 * A crash at any point leaves either the old or the new file, never a mix. A corrupt or
 * unreadable file is moved aside (`state.json.corrupt-<time>`) with a clear message, never
 * silently dropped.
 *
 * @module
 */

import { normalizeIp } from "./safety_ip.ts";

/** Version written by this code; files with another version are moved aside. */
export const STATE_VERSION = 1;

/** One active ban. */
export interface SavedBan {
  /** Canonical address or prefix. */
  ip: string;
  kind: "ban" | "block";
  /** When the ban ends, seconds since the epoch; null when it does not. */
  until: number | null;
  reason: string;
  /** Offence count of the address when the ban was made (1 for the first). */
  offences: number;
  /** When the ban was made, seconds since the epoch. */
  since: number;
}

/** Offence history of one address. */
export interface SavedOffence {
  ip: string;
  count: number;
  /** Time of the latest offence, seconds since the epoch. */
  last: number;
}

/** The whole file. */
export interface BanState {
  version: typeof STATE_VERSION;
  savedAt: number;
  bans: SavedBan[];
  offences: SavedOffence[];
}

/** An empty state. */
export function emptyState(): BanState {
  return { version: STATE_VERSION, savedAt: 0, bans: [], offences: [] };
}

/** Error for state files that cannot be written. */
export class StateError extends Error {
  override name = "StateError";
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}
function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Test hooks: run between steps, to simulate a crash there. */
export interface SaveHooks {
  /** After the temporary file is written and fsynced, before the rename. */
  beforeRename?: () => void | Promise<void>;
}

/**
 * Writes the state atomically (temp file, fsync, rename, fsync of the directory). Creates the
 * directory (mode 0700) when missing. Throws {@link StateError} naming the path on failure.
 */
export async function saveState(
  path: string,
  state: BanState,
  hooks: SaveHooks = {},
): Promise<void> {
  const dir = dirOf(path);
  const tmp = `${dir}/.${baseOf(path)}.tmp-${Deno.pid}`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const data = new TextEncoder().encode(JSON.stringify(state, null, 1) + "\n");
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      let off = 0;
      while (off < data.length) off += await f.write(data.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await hooks.beforeRename?.();
    await Deno.rename(tmp, path);
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new StateError(`Cannot write the state file ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Result of {@link loadState}: the state, and a message when the file had to be set aside. */
export interface LoadResult {
  state: BanState;
  /** Null when all went well (or there was no file yet). */
  warning: string | null;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Checks the shape of a parsed file; returns the problem, or null when valid. */
export function stateProblem(doc: unknown): string | null {
  if (!isObj(doc)) return "not a JSON object";
  if (doc["version"] !== STATE_VERSION) {
    return `version ${JSON.stringify(doc["version"])}, expected ${STATE_VERSION}`;
  }
  if (!Array.isArray(doc["bans"]) || !Array.isArray(doc["offences"])) {
    return "missing bans or offences";
  }
  for (const [i, b] of (doc["bans"] as unknown[]).entries()) {
    if (
      !isObj(b) || typeof b["ip"] !== "string" || normalizeIp(b["ip"]) === null ||
      (b["kind"] !== "ban" && b["kind"] !== "block") ||
      !(b["until"] === null || typeof b["until"] === "number") || typeof b["reason"] !== "string" ||
      typeof b["offences"] !== "number" || typeof b["since"] !== "number"
    ) return `bans[${i}] is malformed`;
  }
  for (const [i, o] of (doc["offences"] as unknown[]).entries()) {
    if (
      !isObj(o) || typeof o["ip"] !== "string" || normalizeIp(o["ip"]) === null ||
      typeof o["count"] !== "number" || typeof o["last"] !== "number"
    ) return `offences[${i}] is malformed`;
  }
  return null;
}

/**
 * Loads the state. A missing file gives an empty state. A corrupt, unreadable or other-version
 * file is renamed to `<path>.corrupt-<time>` and gives an empty state with a warning that says
 * so; leftover temporary files of an interrupted save are removed.
 */
export async function loadState(
  path: string,
  nowS: number = Date.now() / 1000,
): Promise<LoadResult> {
  const dir = dirOf(path);
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(`.${baseOf(path)}.tmp-`)) {
        await Deno.remove(`${dir}/${e.name}`).catch(() => {});
      }
    }
  } catch {
    // No directory yet: nothing to clean.
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { state: emptyState(), warning: null };
    return {
      state: emptyState(),
      warning: await moveAside(path, `unreadable (${(e as Error).message})`, nowS),
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      state: emptyState(),
      warning: await moveAside(path, `not valid JSON (${(e as Error).message})`, nowS),
    };
  }
  const problem = stateProblem(doc);
  if (problem !== null) {
    return { state: emptyState(), warning: await moveAside(path, problem, nowS) };
  }
  return { state: doc as BanState, warning: null };
}

async function moveAside(path: string, why: string, nowS: number): Promise<string> {
  const stamp = new Date(nowS * 1000).toISOString().replace(/[:.]/g, "-");
  const aside = `${path}.corrupt-${stamp}`;
  try {
    await Deno.rename(path, aside);
    return `State file ${path} is ${why}: moved it to ${aside} and started without saved bans; ` +
      "bans still in the firewall are adopted from the kernel";
  } catch (e) {
    return `State file ${path} is ${why} and could not be moved aside (${(e as Error).message}): ` +
      "started without saved bans; fix or remove the file";
  }
}

/** Serialises saves of one file: at most one write at a time, the newest state wins. */
export class StateStore {
  readonly path: string;
  #writing: Promise<void> | null = null;
  #next: BanState | null = null;
  /** The last save error, or null. */
  lastError: Error | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** Schedules a save of `state`; resolves when it (or a newer one) is on disk. */
  save(state: BanState): Promise<void> {
    this.#next = state;
    if (this.#writing === null) this.#writing = this.#drain();
    return this.#writing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#next !== null) {
        const s = this.#next;
        this.#next = null;
        try {
          await saveState(this.path, s);
          this.lastError = null;
        } catch (e) {
          this.lastError = e as Error;
        }
      }
    } finally {
      this.#writing = null;
    }
  }
}
