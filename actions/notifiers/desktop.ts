/**
 * Desktop notifications through `notify-send`, into the session of the logged-in user.
 *
 * A root daemon cannot talk to a user's session bus as root (the bus refuses it), so when
 * running as root the channel finds the active user's bus (`loginctl` when logind runs, else
 * `/run/user/UID/bus`) and runs `notify-send` as that user through `setpriv`. When not root it
 * uses its own `DBUS_SESSION_BUS_ADDRESS`. `bus_address` overrides the search (tests use it).
 * Only argv arrays: no shell ever sees packet text.
 *
 * @module
 */

import type { Severity } from "../../detect/alert.ts";
import type { NotifyChannel, NotifyMessage } from "../notify.ts";
import { NotifyError, runCommand } from "./_run.ts";

/** Options of the desktop channel (`[notify.desktop]`). */
export interface DesktopOptions {
  readonly appName: string;
  /** notify-send urgency per severity: index 0 high, 1 medium, 2 low. */
  readonly urgency: readonly [string, string, string];
  /** How long the notification stays, ms; 0 lets the server decide. */
  readonly expireMs: number;
  /** D-Bus address to use as is ("unix:path=…"); empty: find the user's session. */
  readonly busAddress: string;
  /** User whose session to use when root (name or numeric id); empty: the active one. */
  readonly user: string;
  /** Longest a notify-send run may take. */
  readonly timeoutMs: number;
  /** The notify-send program. */
  readonly notifySend: string;
  /** Where per-user runtime directories live (default "/run/user"; tests use their own). */
  readonly runUserDir?: string;
}

/** Where and as whom notify-send runs. `uid` null: as this process. */
export interface SessionTarget {
  readonly busAddress: string;
  readonly uid: number | null;
  readonly gid: number | null;
  /** "bus_address", "environment", "loginctl", "/run/user" or "user": how it was found. */
  readonly via: string;
}

/** Escapes the three characters that notification servers read as body markup. */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The notify-send argv for one message (pure). */
export function notifySendArgv(o: DesktopOptions, m: NotifyMessage): string[] {
  const urgency = o.urgency[(m.severity as Severity) - 1] ?? "normal";
  const argv = [
    o.notifySend,
    `--app-name=${o.appName}`,
    `--urgency=${urgency}`,
    "--category=network.security",
  ];
  if (o.expireMs > 0) argv.push(`--expire-time=${Math.round(o.expireMs)}`);
  // "--" so that a title starting with "-" is never read as an option.
  argv.push("--", m.title, escapeMarkup(m.body.split("\n").slice(1).join("\n")));
  return argv;
}

/**
 * The full command for a target (pure): notify-send itself, or wrapped in `setpriv` to run as
 * the session's user, with a minimal environment naming the bus.
 */
export function desktopCommand(
  o: DesktopOptions,
  m: NotifyMessage,
  target: SessionTarget,
): { argv: string[]; env: Record<string, string> } {
  const runUser = o.runUserDir ?? "/run/user";
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    DBUS_SESSION_BUS_ADDRESS: target.busAddress,
  };
  const argv = notifySendArgv(o, m);
  if (target.uid === null) return { argv, env };
  env["XDG_RUNTIME_DIR"] = `${runUser}/${target.uid}`;
  return {
    argv: [
      "setpriv",
      `--reuid=${target.uid}`,
      `--regid=${target.gid ?? target.uid}`,
      "--init-groups",
      "--",
      ...argv,
    ],
    env,
  };
}

/** Parses `loginctl list-sessions --no-legend` output into [session id, uid] pairs. */
export function parseLoginctlSessions(out: string): [string, number][] {
  const rows: [string, number][] = [];
  for (const line of out.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 2 && /^\d+$/.test(f[1]!)) rows.push([f[0]!, Number(f[1])]);
  }
  return rows;
}

function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

async function busOf(uid: number, runUser: string): Promise<SessionTarget | null> {
  const dir = `${runUser}/${uid}`;
  try {
    const bus = await Deno.stat(`${dir}/bus`);
    if (!bus.isSocket) return null;
    const st = await Deno.stat(dir);
    return { busAddress: `unix:path=${dir}/bus`, uid, gid: st.gid ?? uid, via: "/run/user" };
  } catch {
    return null;
  }
}

async function uidOfUser(user: string): Promise<number | null> {
  if (/^\d+$/.test(user)) return Number(user);
  try {
    const passwd = await Deno.readTextFile("/etc/passwd");
    for (const line of passwd.split("\n")) {
      const f = line.split(":");
      if (f[0] === user && f[2] !== undefined) return Number(f[2]);
    }
  } catch {
    // Fall through: unknown user.
  }
  return null;
}

async function activeLoginctlUids(timeoutMs: number): Promise<number[]> {
  try {
    const { stdout } = await runCommand({
      argv: ["loginctl", "list-sessions", "--no-legend"],
      timeoutMs,
    });
    const active: number[] = [];
    const others: number[] = [];
    for (const [id, uid] of parseLoginctlSessions(stdout)) {
      const { stdout: props } = await runCommand({
        argv: ["loginctl", "show-session", id, "-p", "Active", "-p", "Class"],
        timeoutMs,
      });
      if (!/^Class=user$/m.test(props)) continue;
      (/^Active=yes$/m.test(props) ? active : others).push(uid);
    }
    return [...active, ...others];
  } catch {
    return []; // No logind (containers, servers without systemd): use /run/user.
  }
}

/** Finds where to send desktop notifications; null when no session is found. */
export async function findSessionTarget(o: DesktopOptions): Promise<SessionTarget | null> {
  const runUser = o.runUserDir ?? "/run/user";
  if (o.busAddress !== "") {
    return { busAddress: o.busAddress, uid: null, gid: null, via: "bus_address" };
  }
  const me = currentUid();
  if (me !== 0) {
    const env = Deno.env.get("DBUS_SESSION_BUS_ADDRESS");
    if (env !== undefined && env !== "") {
      return { busAddress: env, uid: null, gid: null, via: "environment" };
    }
    if (me === null) return null;
    const own = await busOf(me, runUser);
    return own === null ? null : { ...own, uid: null, gid: null };
  }
  if (o.user !== "") {
    const uid = await uidOfUser(o.user);
    const t = uid === null ? null : await busOf(uid, runUser);
    return t === null ? null : { ...t, via: "user" };
  }
  for (const uid of await activeLoginctlUids(o.timeoutMs)) {
    const t = await busOf(uid, runUser);
    if (t !== null) return { ...t, via: "loginctl" };
  }
  let uids: number[] = [];
  try {
    for await (const e of Deno.readDir(runUser)) {
      if (/^\d+$/.test(e.name)) uids.push(Number(e.name));
    }
  } catch {
    return null;
  }
  // Human users first (1000 and up, lowest first), then system users, root last.
  uids = uids.sort((a, b) => rank(a) - rank(b) || a - b);
  for (const uid of uids) {
    const t = await busOf(uid, runUser);
    if (t !== null) return t;
  }
  return null;
}

function rank(uid: number): number {
  return uid >= 1000 && uid !== 65534 ? 0 : uid === 0 ? 2 : 1;
}

/** How long a found session is reused before looking again (users log in and out). */
const TARGET_TTL_MS = 60_000;

/** The desktop channel. */
export class DesktopChannel implements NotifyChannel {
  readonly name = "desktop";
  #target: SessionTarget | null = null;
  #foundAt = -Infinity;

  constructor(readonly options: DesktopOptions) {}

  async send(m: NotifyMessage): Promise<void> {
    const now = Date.now();
    if (this.#target === null || now - this.#foundAt > TARGET_TTL_MS) {
      this.#target = await findSessionTarget(this.options);
      this.#foundAt = now;
    }
    const target = this.#target;
    if (target === null) {
      throw new NotifyError(
        "No desktop session found (no DBUS_SESSION_BUS_ADDRESS, no /run/user/UID/bus): set " +
          "notify.desktop.bus_address or notify.desktop.user, or disable notify.desktop",
      );
    }
    const { argv, env } = desktopCommand(this.options, m, target);
    try {
      await runCommand({ argv, env, clearEnv: true, timeoutMs: this.options.timeoutMs });
    } catch (e) {
      this.#target = null; // Look again next time: the session may have ended.
      throw e;
    }
  }
}
