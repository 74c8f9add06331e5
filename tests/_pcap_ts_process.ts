/**
 * Runs the real pcap_ts program (main.ts under `deno run`, with the permissions of
 * `deno task start`) as a child process, optionally inside a test namespace, and reads what it
 * reports: EVE lines from a file, stderr lines as they come.
 *
 * @module
 */

import type { TestNet } from "./netns.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The permissions `deno task start` grants, read from deno.json so the two cannot drift. */
export function startPermissions(): string[] {
  const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks as Record<
    string,
    string
  >;
  return tasks.start!.split(/\s+/).filter((w) => w.startsWith("--allow-"));
}

/** A running pcap_ts. */
export interface PcapTsProcess {
  readonly child: Deno.ChildProcess;
  /** Every stderr line so far. */
  readonly stderr: string[];
  /** Every stdout line so far (only with `captureStdout`). */
  readonly stdout: string[];
  /** Parsed EVE lines of the run's EVE file so far. */
  eve(): Record<string, unknown>[];
  /** Waits until a stderr line matches, or throws after `timeoutMs` with what was seen. */
  waitForStderr(re: RegExp, timeoutMs: number): Promise<string>;
  /** Waits until an EVE event satisfies `pred`, or throws after `timeoutMs`. */
  waitForEve(
    pred: (e: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** Sends SIGTERM and waits for the exit status. */
  stop(): Promise<number>;
}

/** Options of {@link startPcapTs}. */
export interface StartOptions {
  /** Run inside this namespace of `net`. */
  net?: TestNet;
  ns?: string;
  /** Arguments after main.ts. `--eve FILE` is added. */
  args: string[];
  /** EVE file to use (created in a temporary folder when absent). */
  eveFile?: string;
  /** Collect standard output lines (for `--dump`); otherwise it is discarded. */
  captureStdout?: boolean;
}

async function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    rest += dec.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    into.push(...lines);
  }
  if (rest) into.push(rest);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Starts pcap_ts; resolves once the child is spawned (not yet capturing). */
export function startPcapTs(opts: StartOptions): PcapTsProcess {
  const eveFile = opts.eveFile ?? `${Deno.makeTempDirSync({ prefix: "pcap_ts_eve_" })}/eve.json`;
  const argv = [
    Deno.execPath(),
    "run",
    ...startPermissions(),
    `${ROOT}main.ts`,
    ...opts.args,
    "--eve",
    eveFile,
  ];
  const full = opts.net && opts.ns ? ["ip", "netns", "exec", opts.ns, ...argv] : argv;
  const child = new Deno.Command(full[0]!, {
    args: full.slice(1),
    stdin: "null",
    stdout: opts.captureStdout ? "piped" : "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr: string[] = [];
  const stdout: string[] = [];
  const reading = Promise.all([
    collectLines(child.stderr, stderr),
    opts.captureStdout ? collectLines(child.stdout, stdout) : Promise.resolve(),
  ]);
  const eve = () => {
    let text = "";
    try {
      text = Deno.readTextFileSync(eveFile);
    } catch {
      return [];
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  };
  let exited: number | null = null;
  const status = child.status.then((s) => (exited = s.code));
  return {
    child,
    stderr,
    stdout,
    eve,
    async waitForStderr(re, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const hit = stderr.find((l) => re.test(l));
        if (hit) return hit;
        if (exited !== null) break;
        await sleep(50);
      }
      throw new Error(
        `pcap_ts did not print ${re} within ${timeoutMs} ms` +
          (exited !== null ? ` (exited with ${exited})` : "") + `; stderr:\n${stderr.join("\n")}`,
      );
    },
    async waitForEve(pred, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const hit = eve().find(pred);
        if (hit) return hit;
        await sleep(100);
      }
      throw new Error(
        `no matching EVE event within ${timeoutMs} ms; events:\n` +
          eve().map((e) => JSON.stringify(e)).join("\n") + `\nstderr:\n${stderr.join("\n")}`,
      );
    },
    async stop() {
      if (exited === null) {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already gone.
        }
      }
      const code = await status;
      await reading;
      return code;
    },
  };
}
