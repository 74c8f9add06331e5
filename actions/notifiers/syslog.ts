/**
 * Syslog notifications in RFC 5424 form: to the local syslog socket (`/dev/log`, a unix
 * datagram socket) or to a remote collector over UDP (RFC 5426) or TCP (RFC 6587 octet
 * counting).
 *
 * The unix socket is written natively when Deno's unix datagram API is available (it needs
 * `--unstable-net`); otherwise through util-linux `logger --socket-errors=on -u PATH
 * --rfc5424`, given argv only. `logger` without `--socket-errors=on` exits 0 while dropping the
 * message when nobody listens; with it, a missing daemon is a reported failure.
 *
 * @module
 */

import dgram from "node:dgram";
import type { Severity } from "../../detect/alert.ts";
import type { NotifyChannel, NotifyMessage } from "../notify.ts";
import { NotifyError, runCommand } from "./_run.ts";

/** Syslog facility codes (RFC 5424 table 1). */
export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Syslog severity per alert severity: high → crit (2), medium → warning (4), low → notice (5). */
export const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = { 1: 2, 2: 4, 3: 5 };
const LEVEL_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/** Structured-data id: our name at the documentation enterprise number (RFC 5612). */
export const SD_ID = "pcap_ts@32473";

/** Longest line sent (UDP collectors must take 480 bytes, should take 2048: RFC 5426). */
export const MAX_LINE_BYTES = 2048;

/** Options of the syslog channel (`[notify.syslog]`). */
export interface SyslogOptions {
  readonly transport: "unix" | "udp" | "tcp";
  /** Unix datagram socket of the local daemon. */
  readonly socketPath: string;
  readonly host: string;
  readonly port: number;
  readonly facility: string;
  readonly appName: string;
  readonly timeoutMs: number;
  /** How to write the unix socket: "auto" (native when possible), "native", "logger". */
  readonly unixSender?: "auto" | "native" | "logger";
}

/** PRI value: facility × 8 + severity. */
export function syslogPriority(facility: string, severity: Severity): number {
  const f = FACILITIES[facility];
  if (f === undefined) {
    throw new NotifyError(
      `Cannot use notify.syslog.facility = ${JSON.stringify(facility)}: expected one of ${
        Object.keys(FACILITIES).join(", ")
      }`,
    );
  }
  return f * 8 + SYSLOG_SEVERITY[severity];
}

/** A header field: printable ASCII without spaces, capped, "-" when empty (RFC 5424 6.2). */
export function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return v === "" ? "-" : v;
}

/** An SD-NAME: printable ASCII without `= ] "` and space, 1 to 32 characters. */
function sdName(s: string): string {
  return s.replace(/[^\x21-\x7e]|[=\]"]/g, "").slice(0, 32);
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash (RFC 5424 6.3.3). */
export function sdValue(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** The structured-data element of a message; "-" when it has no fields. */
export function structuredData(m: NotifyMessage): string {
  const params = Object.entries(m.fields)
    .map(([k, v]) => [sdName(k), v] as const)
    .filter(([k]) => k !== "")
    .map(([k, v]) => `${k}="${sdValue(v)}"`);
  return params.length === 0 ? "-" : `[${SD_ID} ${params.join(" ")}]`;
}

/** Identity of the sender, as filled into the header. */
export interface SyslogSender {
  readonly hostname: string;
  readonly procId: number;
  /** Wall clock of the send, ms. */
  readonly nowMs: number;
}

/**
 * One RFC 5424 line: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG` (pure). The
 * header time is the wall clock of sending; the capture time is in the message body.
 */
export function formatRfc5424(o: SyslogOptions, m: NotifyMessage, s: SyslogSender): string {
  const pri = syslogPriority(o.facility, m.severity);
  const head = `<${pri}>1 ${new Date(s.nowMs).toISOString()} ${headerField(s.hostname, 255)} ${
    headerField(o.appName, 48)
  } ${s.procId} ${headerField(m.kind, 32)} ${structuredData(m)}`;
  return capBytes(`${head} ${m.line}`, MAX_LINE_BYTES);
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function capBytes(s: string, max: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= max) return s;
  let out = "";
  let n = 0;
  for (const ch of s) {
    const len = enc.encode(ch).length;
    if (n + len > max) break;
    out += ch;
    n += len;
  }
  return out;
}

/** The `logger` argv that sends one message to a unix socket in RFC 5424 form (pure). */
export function loggerArgv(o: SyslogOptions, m: NotifyMessage, procId: number): string[] {
  syslogPriority(o.facility, m.severity); // Validates the facility.
  const argv = [
    "logger",
    "--socket-errors=on",
    "-u",
    o.socketPath,
    "--rfc5424=notq",
    "-p",
    `${o.facility}.${LEVEL_NAMES[SYSLOG_SEVERITY[m.severity]]}`,
    "-t",
    headerField(o.appName, 48),
    `--id=${procId}`,
    "--msgid",
    headerField(m.kind, 32),
  ];
  const params = Object.entries(m.fields).map(([k, v]) => [sdName(k), v] as const)
    .filter(([k]) => k !== "");
  if (params.length > 0) {
    argv.push("--sd-id", SD_ID);
    for (const [k, v] of params) argv.push("--sd-param", `${k}="${sdValue(v)}"`);
  }
  argv.push("--", capBytes(m.line, 1024));
  return argv;
}

interface UnixDatagramConn {
  send(p: Uint8Array, addr: { transport: "unixpacket"; path: string }): Promise<number>;
  close(): void;
}
type ListenDatagram = (o: { transport: "unixpacket"; path: string }) => UnixDatagramConn;

function nativeListenDatagram(): ListenDatagram | null {
  const f = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  return typeof f === "function" ? f : null;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "-";
  }
}

/** The syslog channel. */
export class SyslogChannel implements NotifyChannel {
  readonly name = "syslog";
  readonly #host = hostname();
  #unix: { conn: UnixDatagramConn; dir: string } | null = null;
  #udp: dgram.Socket | null = null;
  #tcp: Deno.TcpConn | null = null;
  readonly #unixNative: boolean;

  constructor(readonly options: SyslogOptions) {
    syslogPriority(options.facility, 3); // Fail at start on a bad facility.
    const mode = options.unixSender ?? "auto";
    const native = nativeListenDatagram() !== null;
    if (mode === "native" && !native) {
      throw new NotifyError(
        "Writing a unix datagram socket natively needs Deno's --unstable-net: use logger",
      );
    }
    this.#unixNative = mode === "native" || (mode === "auto" && native);
  }

  /** "native" or "logger": how the unix socket is written. */
  get unixSender(): "native" | "logger" {
    return this.#unixNative ? "native" : "logger";
  }

  async send(m: NotifyMessage): Promise<void> {
    const o = this.options;
    const sender = { hostname: this.#host, procId: Deno.pid, nowMs: Date.now() };
    if (o.transport === "unix") {
      if (!this.#unixNative) {
        await runCommand({ argv: loggerArgv(o, m, Deno.pid), timeoutMs: o.timeoutMs });
        return;
      }
      const bytes = new TextEncoder().encode(formatRfc5424(o, m, sender));
      try {
        await this.#unixConn().send(bytes, { transport: "unixpacket", path: o.socketPath });
      } catch (e) {
        throw new NotifyError(
          `syslog socket ${o.socketPath}: ${e instanceof Error ? e.message : e}`,
          {
            cause: e,
          },
        );
      }
      return;
    }
    const line = formatRfc5424(o, m, sender);
    if (o.transport === "udp") return await this.#sendUdp(new TextEncoder().encode(line));
    return await this.#sendTcp(line);
  }

  #unixConn(): UnixDatagramConn {
    if (this.#unix !== null) return this.#unix.conn;
    const listen = nativeListenDatagram()!;
    // A datagram socket needs its own address to send from; a private directory holds it.
    const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_syslog_" });
    const conn = listen({ transport: "unixpacket", path: `${dir}/s` });
    this.#unix = { conn, dir };
    return conn;
  }

  #sendUdp(bytes: Uint8Array): Promise<void> {
    const o = this.options;
    if (this.#udp === null) {
      this.#udp = dgram.createSocket(o.host.includes(":") ? "udp6" : "udp4");
      this.#udp.on("error", () => {}); // Reported through the send callback.
      this.#udp.unref();
    }
    const sock = this.#udp;
    return new Promise((resolve, reject) => {
      sock.send(bytes, o.port, o.host, (err) => {
        if (err) {
          reject(new NotifyError(`syslog udp ${o.host}:${o.port}: ${err.message}`, { cause: err }));
        } else resolve();
      });
    });
  }

  async #sendTcp(line: string): Promise<void> {
    const o = this.options;
    const payload = new TextEncoder().encode(line);
    const framed = new Uint8Array([...new TextEncoder().encode(`${payload.length} `), ...payload]);
    try {
      if (this.#tcp === null) {
        this.#tcp = await Deno.connect({ hostname: o.host, port: o.port });
      }
      let off = 0;
      while (off < framed.length) off += await this.#tcp.write(framed.subarray(off));
    } catch (e) {
      try {
        this.#tcp?.close();
      } catch {
        // Already closed.
      }
      this.#tcp = null;
      throw new NotifyError(
        `syslog tcp ${o.host}:${o.port}: ${e instanceof Error ? e.message : e}`,
        {
          cause: e,
        },
      );
    }
  }

  close(): void {
    if (this.#unix !== null) {
      this.#unix.conn.close();
      try {
        Deno.removeSync(this.#unix.dir, { recursive: true });
      } catch {
        // Best effort: a temp directory.
      }
      this.#unix = null;
    }
    this.#udp?.close();
    this.#udp = null;
    try {
      this.#tcp?.close();
    } catch {
      // Already closed.
    }
    this.#tcp = null;
  }
}
