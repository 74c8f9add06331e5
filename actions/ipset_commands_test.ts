import assert from "node:assert/strict";
import {
  ipsetDestroyArgv,
  ipsetFlushArgv,
  ipsetFor,
  ipsetOpsText,
  ipsetRestoreArgv,
  ipsetSaveArgv,
  ipsetSetupText,
  iptablesRules,
  iptAppendArgv,
  iptCheckArgv,
  iptDeleteArgv,
  iptDeleteChainArgv,
  iptFlushChainArgv,
  iptInsertArgv,
  iptListChainArgv,
  iptNewChainArgv,
  parseIpsetSave,
} from "./ipset_commands.ts";

Deno.test("ipsetSetupText() creates the five sets with per-entry timeouts and comments", () => {
  assert.deepEqual(ipsetRestoreArgv(), ["ipset", "restore", "-exist"]);
  assert.equal(
    ipsetSetupText(),
    "create pcap_ts_ban4 hash:ip family inet timeout 0 comment\n" +
      "create pcap_ts_ban6 hash:ip family inet6 timeout 0 comment\n" +
      "create pcap_ts_ban6net hash:net family inet6 timeout 0 comment\n" +
      "create pcap_ts_block4 hash:ip family inet timeout 0 comment\n" +
      "create pcap_ts_block6 hash:ip family inet6 timeout 0 comment\n",
  );
});

Deno.test("ipsetOpsText() writes add with timeout and comment, del for removals", () => {
  assert.equal(
    ipsetOpsText([
      { op: "add", ip: "192.0.2.7", kind: "ban", durationS: 600, reason: 'a "b"' },
      { op: "add", ip: "2001:db8::7", kind: "ban", durationS: 0.5, reason: "" },
      { op: "add", ip: "2001:db8:1::/64", kind: "ban", durationS: 60, reason: "net" },
      { op: "add", ip: "198.51.100.1", kind: "block", durationS: 0, reason: "x" },
      { op: "remove", ip: "192.0.2.8", kind: "ban" },
      { op: "remove", ip: "2001:db8::9", kind: "block" },
    ]),
    'add pcap_ts_ban4 192.0.2.7 timeout 600 comment "a _b_"\n' +
      "add pcap_ts_ban6 2001:db8::7 timeout 1\n" +
      'add pcap_ts_ban6net 2001:db8:1::/64 timeout 60 comment "net"\n' +
      'add pcap_ts_block4 198.51.100.1 timeout 0 comment "x"\n' +
      "del pcap_ts_ban4 192.0.2.8\n" +
      "del pcap_ts_block6 2001:db8::9\n",
  );
  assert.equal(ipsetFor("fd00::/64", "ban"), "pcap_ts_ban6net");
});

Deno.test("ipset save/flush/destroy argv and parseIpsetSave()", () => {
  assert.deepEqual(ipsetSaveArgv("pcap_ts_ban4"), ["ipset", "save", "pcap_ts_ban4"]);
  assert.deepEqual(ipsetFlushArgv("pcap_ts_ban4"), ["ipset", "flush", "pcap_ts_ban4"]);
  assert.deepEqual(ipsetDestroyArgv("pcap_ts_ban4"), ["ipset", "destroy", "pcap_ts_ban4"]);
  // `ipset save pcap_ts_ban4` output, ipset 7.17.
  const saved =
    "create pcap_ts_ban4 hash:ip family inet hashsize 1024 maxelem 65536 timeout 0 comment bucketsize 12 initval 0x2e946c67\n" +
    'add pcap_ts_ban4 10.1.1.1 timeout 899 comment "r x"\n' +
    "add pcap_ts_ban4 10.1.1.2 timeout 0\n";
  assert.deepEqual(parseIpsetSave(saved), [
    { set: "pcap_ts_ban4", ip: "10.1.1.1", expiresS: 899, comment: "r x" },
    { set: "pcap_ts_ban4", ip: "10.1.1.2", expiresS: null, comment: null },
  ]);
});

Deno.test("iptables argv: own chains, -m set DROP rules, jumps inserted first", () => {
  const { chains, rules, jumps } = iptablesRules();
  assert.deepEqual(chains.map(iptListChainArgv), [
    ["iptables", "-w", "-t", "filter", "-S", "pcap_ts_input"],
    ["iptables", "-w", "-t", "filter", "-S", "pcap_ts_output"],
    ["ip6tables", "-w", "-t", "filter", "-S", "pcap_ts_input"],
    ["ip6tables", "-w", "-t", "filter", "-S", "pcap_ts_output"],
  ]);
  assert.deepEqual(iptNewChainArgv(chains[0]!), [
    "iptables",
    "-w",
    "-t",
    "filter",
    "-N",
    "pcap_ts_input",
  ]);
  assert.deepEqual(rules.map(iptAppendArgv), [
    [
      "iptables",
      "-w",
      "-t",
      "filter",
      "-A",
      "pcap_ts_input",
      "-m",
      "set",
      "--match-set",
      "pcap_ts_ban4",
      "src",
      "-j",
      "DROP",
    ],
    [
      "iptables",
      "-w",
      "-t",
      "filter",
      "-A",
      "pcap_ts_output",
      "-m",
      "set",
      "--match-set",
      "pcap_ts_block4",
      "dst",
      "-j",
      "DROP",
    ],
    [
      "ip6tables",
      "-w",
      "-t",
      "filter",
      "-A",
      "pcap_ts_input",
      "-m",
      "set",
      "--match-set",
      "pcap_ts_ban6",
      "src",
      "-j",
      "DROP",
    ],
    [
      "ip6tables",
      "-w",
      "-t",
      "filter",
      "-A",
      "pcap_ts_input",
      "-m",
      "set",
      "--match-set",
      "pcap_ts_ban6net",
      "src",
      "-j",
      "DROP",
    ],
    [
      "ip6tables",
      "-w",
      "-t",
      "filter",
      "-A",
      "pcap_ts_output",
      "-m",
      "set",
      "--match-set",
      "pcap_ts_block6",
      "dst",
      "-j",
      "DROP",
    ],
  ]);
  assert.deepEqual(iptCheckArgv(rules[0]!), [
    "iptables",
    "-w",
    "-t",
    "filter",
    "-C",
    "pcap_ts_input",
    "-m",
    "set",
    "--match-set",
    "pcap_ts_ban4",
    "src",
    "-j",
    "DROP",
  ]);
  assert.deepEqual(jumps.map(iptInsertArgv), [
    ["iptables", "-w", "-t", "filter", "-I", "INPUT", "1", "-j", "pcap_ts_input"],
    ["iptables", "-w", "-t", "filter", "-I", "OUTPUT", "1", "-j", "pcap_ts_output"],
    ["ip6tables", "-w", "-t", "filter", "-I", "INPUT", "1", "-j", "pcap_ts_input"],
    ["ip6tables", "-w", "-t", "filter", "-I", "OUTPUT", "1", "-j", "pcap_ts_output"],
  ]);
  assert.deepEqual(iptDeleteArgv(jumps[0]!), [
    "iptables",
    "-w",
    "-t",
    "filter",
    "-D",
    "INPUT",
    "-j",
    "pcap_ts_input",
  ]);
  assert.deepEqual(iptFlushChainArgv(chains[0]!), [
    "iptables",
    "-w",
    "-t",
    "filter",
    "-F",
    "pcap_ts_input",
  ]);
  assert.deepEqual(iptDeleteChainArgv(chains[0]!), [
    "iptables",
    "-w",
    "-t",
    "filter",
    "-X",
    "pcap_ts_input",
  ]);
});
