/**
 * The `[capture]` section: where packets come from.
 *
 * @module
 */

import type { SectionSpec } from "./spec.ts";

/** `[capture]`: the capture device and libpcap settings. */
export const captureSection = {
  doc: "Live capture: which device to open and how libpcap reads it. Ignored with --read, " +
    "except filter and read_ahead.",
  keys: {
    interface: {
      type: "string",
      default: "",
      doc: 'Capture device name, such as "eth0" (see `pcap_ts interfaces`). Empty means the ' +
        "first device that is up and not loopback. The -i option overrides it.",
    },
    filter: {
      type: "string",
      default: "",
      doc: 'BPF capture filter in tcpdump syntax, such as "not port 22". Empty captures ' +
        "everything. A filter lowers the load but hides what it excludes from every detector. " +
        "The -f option overrides it.",
    },
    snaplen: {
      type: "integer",
      default: 262144,
      min: 68,
      max: 262144,
      doc: "Bytes kept of each packet. Lower values save memory and copying but cut the " +
        "payloads that attack and exfiltration detectors inspect.",
    },
    promiscuous: {
      type: "boolean",
      default: true,
      doc: "Put the device in promiscuous mode, to see traffic between other hosts of the " +
        "link too. Off sees only this host's own traffic.",
    },
    immediate: {
      type: "boolean",
      default: false,
      doc: "Deliver each packet as soon as it arrives (libpcap immediate mode). Default off: " +
        "the kernel hands packets over in blocks at least every 10 ms (TPACKET_V3), which " +
        "keeps alerts and bans well within a second. On makes libpcap fall back to a ring of " +
        "fixed, snaplen-sized slots (TPACKET_V2): with the default snaplen a 16 MiB buffer then " +
        "holds only a few hundred packets, and a burst (an nmap -T4 scan) is mostly dropped; " +
        "turn it on only together with a small snaplen or a large buffer_size_mb.",
    },
    read_ahead: {
      type: "boolean",
      default: false,
      doc: "With --read, read a capture file of 16 MiB or more ahead on a second thread while " +
        "this one analyses. It costs about 25 MiB and more CPU in all. Measured on 2 cores " +
        "(README, Benchmarks): no faster once the file's pages are cached as read from disk " +
        "or in 4 KiB pages (reading costs the main thread only about 30 ns a frame then), and a " +
        "single cold --read pays for starting the thread; it helped (about 13 %) only with the " +
        "file's pages in a slower cache state. So it is off by default: for machines where " +
        "copying out of the page cache is slow and cores are spare.",
    },
    buffer_size_mb: {
      type: "integer",
      default: 16,
      min: 1,
      max: 2048,
      doc: "Kernel capture buffer in MiB. Larger buffers ride out bursts without drops at the " +
        "cost of locked memory.",
    },
  },
} as const satisfies SectionSpec;

/** `[output]`: what pcap_ts writes and where. */
export const outputSection = {
  doc: "Output: console lines, EVE JSON events, periodic statistics, packet dumps.",
  keys: {
    eve: {
      type: "string",
      default: "",
      doc: 'File to append EVE-style JSON lines to (alerts, bans, stats); "-" means standard ' +
        'output and "" turns it off. The --eve option overrides it.',
    },
    console: {
      type: "boolean",
      default: true,
      doc: "Print one readable line per alert on standard error. Off keeps the console quiet " +
        "(use eve instead).",
    },
    color: {
      type: "string",
      default: "auto",
      choices: ["auto", "always", "never"],
      doc: 'Colours in console lines: "auto" when standard error is a terminal and NO_COLOR ' +
        'is not set, "always", or "never". --no-color forces "never".',
    },
    stats_interval: {
      type: "duration",
      default: 60,
      min: 0,
      max: 86400,
      doc: 'How often to log counters (packets, drops, flows, alerts) as a stats event; "0s" ' +
        "turns them off. Shorter intervals show drops sooner but fill the log.",
    },
    dump: {
      type: "string",
      default: "off",
      choices: ["off", "text", "json"],
      doc: 'Print every decoded packet: "text" one line each, "json" one object each, "off" ' +
        "none. Costly on busy links; the --dump option overrides it.",
    },
  },
} as const satisfies SectionSpec;
