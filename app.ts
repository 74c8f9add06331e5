/**
 * The commands that need capture, analysis and the firewall: `pcap_ts [options]` (live or
 * `--read`), `pcap_ts bans ...` and `pcap_ts interfaces`. Wires the pipeline of DESIGN.md:
 * source (ffi/) → decode → flow → detect (pipeline.ts, in a Worker when live) → respond
 * (actions/).
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Command } from "./cli.ts";
import { ExitCode } from "./cli.ts";
import { type Config, ConfigError } from "./config/mod.ts";
import {
  CaptureFileReader,
  defaultDevice,
  listDevices,
  newFrame,
  OfflineFilter,
  PcapError,
} from "./ffi/mod.ts";
import { Analyzer, type AnalyzerStats } from "./pipeline.ts";
import type { WorkerMessage, WorkerStart } from "./worker.ts";
import { alertToEve, EveWriter, statsToEve } from "./actions/eve.ts";
import { type ColorSetting, ConsoleReporter } from "./actions/console.ts";
import { rulesFromRecords } from "./actions/policy.ts";
import { Suppressor } from "./actions/suppress.ts";
import { banSettings } from "./actions/ban_config.ts";
import { createBackend } from "./actions/ban_backend.ts";
import { BanManager } from "./actions/ban_manager.ts";
import { notifierFromConfig } from "./actions/notify_config.ts";
import type { Notifier } from "./actions/notify.ts";
import { Responder } from "./actions/responder.ts";
import { ownAddresses } from "./actions/safety.ts";
import { bansFlush, bansList, bansUnban } from "./actions/ban_cli.ts";
import type { CaptureStats } from "./ffi/live.ts";

type AnalyseCommand = Extract<Command, { kind: "analyse" }>;

const log = (line: string) => console.error(line);
const yieldNow = () => new Promise<void>((ok) => setImmediate(ok));

/** Everything that acts on alerts, built from the config. */
interface Response {
  responder: Responder;
  eve: EveWriter | null;
  bans: BanManager;
  notifier: Notifier;
  close(nowS: number): Promise<void>;
}

/**
 * Builds the response. `captureClock` (offline mode) makes ban decisions use the capture's
 * time, so that replaying a capture gives the same events every time.
 */
async function buildResponse(
  config: Config,
  offline: boolean,
  captureClock?: () => number,
): Promise<Response> {
  const out = config.output;
  const eve = out.eve !== "" ? await EveWriter.open(out.eve) : null;
  const reporter = out.console ? new ConsoleReporter(out.color as ColorSetting) : null;
  let rules;
  let settings;
  try {
    rules = rulesFromRecords(config.response.rule);
    settings = banSettings(config.response);
  } catch (e) {
    const message = (e as Error).message;
    throw new ConfigError("[response]", [{ message, key: "response" }], { cause: e });
  }
  // A saved capture never changes the firewall: bans are decided and logged only, and the
  // state file is left alone.
  const dryRun = config.response.dry_run || offline;
  const backend = await createBackend(settings.backend, { dryRun, log });
  let responder: Responder | null = null;
  const bans = new BanManager({
    backend,
    settings: { ...settings, dryRun },
    persist: !offline,
    ...(captureClock ? { now: captureClock } : {}),
    log,
    onBanEvent: (e) => responder?.banEvent(e),
    onRefusal: (r) => responder?.refusal(r),
  });
  let notifier: Notifier;
  try {
    notifier = notifierFromConfig({
      notify: config.notify,
      desktop: config["notify.desktop"],
      email: config["notify.email"],
      webhook: config["notify.webhook"],
      syslog: config["notify.syslog"],
    }, {
      // Replaying a saved capture tells nobody: notifications are logged, not sent.
      dryRun,
      toEve: (a) => alertToEve(a) as unknown as Record<string, unknown>,
      tickMs: 1000,
      log: (level, message) => log(`pcap_ts: ${level}: ${message}`),
    });
  } catch (e) {
    // Settings that cannot work (no recipients, unreadable password_file): a config error.
    const message = (e as Error).message;
    throw new ConfigError("[notify]", [{ message, key: "notify" }], { cause: e });
  }
  const sup = config["response.suppress"];
  responder = new Responder({
    rules,
    suppressor: new Suppressor({ intervalS: sup.interval, maxKeys: sup.max_keys }),
    eve,
    console: reporter,
    notifier,
    bans,
    log,
    dryRun,
  });
  const report = await bans.start();
  if (!offline && (report.kept + report.readded + report.adopted) > 0) {
    log(
      `pcap_ts: restored bans: ${report.kept} kept, ${report.readded} added again, ` +
        `${report.adopted} adopted from the firewall, ${report.expired} expired meanwhile`,
    );
  }
  const r = responder;
  return {
    responder: r,
    eve,
    bans,
    notifier,
    async close(nowS: number) {
      // Report repeats still held back, then let bans and notifications finish.
      r.tick(nowS + sup.interval + 1);
      await bans.stop();
      await notifier.close(5000);
      await eve?.close();
    },
  };
}

function statsEvent(ts: number, a: AnalyzerStats, cap: CaptureStats | null, r: Responder) {
  return statsToEve({
    ts,
    packets: a.frames,
    drops: cap ? cap.dropped + cap.ifDropped : 0,
    flows: a.engine.flows,
    evictions: a.engine.evictions,
    alerts: r.counters.alerts,
    bytes: a.bytes,
    captured: cap ? cap.received : a.frames,
    kernel_drops: cap ? cap.dropped : 0,
    interface_drops: cap ? cap.ifDropped : 0,
    flows_created: a.engine.flowsCreated,
    suppressed: r.counters.suppressed,
    bans: r.counters.banned,
    anomalies: a.anomalies,
    defrag: a.defrag,
  });
}

function summary(a: AnalyzerStats, r: Responder): string {
  const anomalies = Object.values(a.anomalies).reduce((s, n) => s + n, 0);
  return `${a.engine.flowsCreated} flows, ${r.counters.alerts} alerts (` +
    `${r.counters.suppressed} suppressed repeats, ${r.counters.banned} bans), ` +
    `${anomalies} malformed frames`;
}

/** A stdout writer for dump lines, buffered into large writes. */
class LineWriter {
  #lines: string[] = [];
  #chars = 0;
  #enc = new TextEncoder();
  write(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length + 1;
    if (this.#chars >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.#lines.length === 0) return;
    const bytes = this.#enc.encode(this.#lines.join("\n") + "\n");
    this.#lines = [];
    this.#chars = 0;
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  }
}

function dumpFormat(cmd: AnalyseCommand, config: Config): "text" | "json" | null {
  if (cmd.options.dump !== null) return cmd.options.dump;
  const d = config.output.dump;
  return d === "text" || d === "json" ? d : null;
}

async function analyseFile(path: string, cmd: AnalyseCommand, config: Config): Promise<number> {
  let reader: CaptureFileReader;
  try {
    reader = CaptureFileReader.open(path, {
      readAhead: config.capture.read_ahead ? "auto" : false,
    });
  } catch (e) {
    log(`pcap_ts: ${(e as Error).message}`);
    return ExitCode.runtime;
  }
  let filter: OfflineFilter | null = null;
  try {
    if (config.capture.filter !== "") {
      filter = new OfflineFilter(config.capture.filter, reader.linkType);
    }
  } catch (e) {
    reader.close();
    log(`pcap_ts: ${(e as Error).message}`);
    return ExitCode.usage;
  }
  // Created below; the ban manager reads the capture's time through it.
  let analyzer: Analyzer | null = null;
  const response = await buildResponse(config, true, () => analyzer?.lastTs ?? 0);
  const dump = new LineWriter();
  analyzer = new Analyzer({
    config,
    localAddresses: [],
    dump: dumpFormat(cmd, config),
    onAlert: (a) => response.responder.alert(a),
    onDump: (l) => dump.write(l),
    onAnomaly: (l) => log(`pcap_ts: ${l}`),
  });
  const started = performance.now();
  const frame = newFrame();
  let n = 0;
  try {
    while (reader.next(frame)) {
      if (filter !== null && !filter.matches(frame)) continue;
      analyzer.onFrame(frame);
      if ((++n & 0xffff) === 0) {
        response.responder.tick(analyzer.lastTs);
        dump.flush();
        await yieldNow();
      }
    }
    analyzer.finish(true);
  } finally {
    reader.close();
    filter?.close();
    dump.flush();
  }
  if (reader.error !== null) {
    log(`pcap_ts: ${path}: ${reader.error}; analysed the frames before it`);
  }
  const stats = analyzer.stats();
  response.eve?.write(statsEvent(stats.lastTs, stats, null, response.responder));
  await response.close(stats.lastTs);
  const secs = (performance.now() - started) / 1000;
  log(
    `pcap_ts: read ${stats.frames} frames from ${path} in ${secs.toFixed(2)} s: ` +
      summary(stats, response.responder),
  );
  return ExitCode.ok;
}

async function analyseLive(cmd: AnalyseCommand, config: Config): Promise<number> {
  let device = config.capture.interface;
  if (device === "") {
    try {
      device = defaultDevice().name;
    } catch (e) {
      log(`pcap_ts: ${(e as Error).message}`);
      return ExitCode.runtime;
    }
  }
  // Check the device before the response touches the firewall.
  const names = listDevices().map((d) => d.name);
  if (!names.includes(device)) {
    log(
      `pcap_ts: No capture device named "${device}"; available devices: ${names.join(", ")} ` +
        "(pcap_ts interfaces lists them; choose one with -i or capture.interface)",
    );
    return ExitCode.runtime;
  }
  const response = await buildResponse(config, false);
  const stopFlag = new SharedArrayBuffer(4);
  const stop = new Int32Array(stopFlag);
  const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
  const dump = new LineWriter();
  const r = response.responder;
  const seen: { stats: AnalyzerStats | null } = { stats: null };
  const tickTimer = setInterval(() => r.tick(Date.now() / 1000), 1000);
  const result = await new Promise<{ code: number; done?: WorkerMessage & { type: "done" } }>(
    (resolve) => {
      const onSignal = () => {
        if (Atomics.load(stop, 0) === 0) log("pcap_ts: stopping");
        Atomics.store(stop, 0, 1);
      };
      const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, onSignal);
      const finish = (v: { code: number; done?: WorkerMessage & { type: "done" } }) => {
        for (const s of signals) Deno.removeSignalListener(s, onSignal);
        resolve(v);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        log(`pcap_ts: capture worker failed: ${e.message}`);
        finish({ code: ExitCode.runtime });
      };
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        switch (m.type) {
          case "ready":
            for (const w of m.warnings) log(`pcap_ts: warning: ${w}`);
            log(
              `pcap_ts: capturing on ${m.device} (link type ${m.linkType})` +
                (config.capture.filter ? ` with filter "${config.capture.filter}"` : "") +
                `; Ctrl-C stops`,
            );
            break;
          case "batch":
            for (const a of m.alerts) r.alert(a);
            for (const l of m.dump) dump.write(l);
            dump.flush();
            for (const l of m.anomalies) log(`pcap_ts: ${l}`);
            break;
          case "stats":
            seen.stats = m.analyzer;
            response.eve?.write(statsEvent(m.ts, m.analyzer, m.capture, r));
            break;
          case "error":
            log(`pcap_ts: ${m.message}`);
            finish({ code: ExitCode.runtime });
            break;
          case "done":
            finish({ code: ExitCode.ok, done: m });
            break;
        }
      };
      const start: WorkerStart = {
        type: "start",
        device,
        config,
        localAddresses: ownAddresses(),
        dump: dumpFormat(cmd, config),
        stopFlag,
      };
      worker.postMessage(start);
    },
  );
  clearInterval(tickTimer);
  worker.terminate();
  dump.flush();
  const now = Date.now() / 1000;
  if (result.done) {
    const { analyzer, capture } = result.done;
    response.eve?.write(statsEvent(now, analyzer, capture, r));
    log(
      `pcap_ts: ${capture.received} packets captured, ${capture.dropped} dropped by the kernel, ` +
        `${capture.ifDropped} by the interface; ${analyzer.frames} analysed: ${
          summary(analyzer, r)
        }`,
    );
  } else if (seen.stats) {
    log(`pcap_ts: ${seen.stats.frames} packets analysed: ${summary(seen.stats, r)}`);
  }
  await response.close(now);
  return result.code;
}

/** Live or offline analysis (`pcap_ts [options]`). Resolves to the exit status. */
export async function runAnalysis(cmd: AnalyseCommand, config: Config): Promise<number> {
  try {
    return cmd.options.read !== null
      ? await analyseFile(cmd.options.read, cmd, config)
      : await analyseLive(cmd, config);
  } catch (e) {
    if (e instanceof PcapError) {
      log(`pcap_ts: ${e.message}`);
      return ExitCode.runtime;
    }
    throw e;
  }
}

/** `pcap_ts bans list|unban|flush`. Resolves to the exit status. */
export async function runBans(
  cmd: Extract<Command, { kind: "bans-list" | "bans-unban" | "bans-flush" }>,
  config: Config,
): Promise<number> {
  const res = cmd.kind === "bans-list"
    ? await bansList(config, { json: cmd.json })
    : cmd.kind === "bans-unban"
    ? await bansUnban(config, cmd.ip)
    : await bansFlush(config);
  if (res.text !== "") {
    if (res.code === 0) console.log(res.text.replace(/\n$/, ""));
    else log(`pcap_ts: ${res.text.replace(/\n$/, "")}`);
  }
  return res.code;
}

/** `pcap_ts interfaces`: the capture devices, the default one marked. */
export function runInterfaces(): Promise<number> {
  const devices = listDevices();
  let def = "";
  try {
    def = defaultDevice().name;
  } catch {
    // No usable default: none is marked.
  }
  for (const d of devices) {
    const flags = [d.up ? "up" : "down", d.running ? "running" : "", d.loopback ? "loopback" : ""]
      .filter((f) => f !== "").join(",");
    const addrs = d.addresses.map((a) => a.address).filter((a) => a !== null).join(" ");
    console.log(`${d.name === def ? "*" : " "} ${d.name.padEnd(16)} ${flags.padEnd(20)} ${addrs}`);
  }
  return Promise.resolve(ExitCode.ok);
}
