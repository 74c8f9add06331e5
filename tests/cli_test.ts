import { assert, assertEquals } from "../config/_test_assert.ts";
import {
  type AnalysisOptions,
  applyCommandLine,
  type Command,
  parseCommandLine,
  UsageError,
} from "../cli.ts";
import { defaultConfig } from "../config/mod.ts";

const NONE: AnalysisOptions = {
  interface: null,
  read: null,
  config: null,
  filter: null,
  dump: null,
  eve: null,
  dryRun: false,
  noColor: false,
};
const analyse = (o: Partial<AnalysisOptions>): Command => ({
  kind: "analyse",
  options: { ...NONE, ...o },
});

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    assert(e instanceof UsageError, `not a UsageError: ${e}`);
    assertEquals(e.name, "UsageError");
    return e.message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`);
}

Deno.test("parseCommandLine() reads every analysis option, short and long", () => {
  assertEquals(parseCommandLine([]), analyse({}));
  assertEquals(
    parseCommandLine(["-i", "eth0", "-c", "a.toml", "-f", "tcp port 80", "--dump", "--eve", "-"]),
    analyse({ interface: "eth0", config: "a.toml", filter: "tcp port 80", dump: "text", eve: "-" }),
  );
  assertEquals(
    parseCommandLine([
      "--read",
      "x.pcap",
      "--config=b.toml",
      "--filter=udp",
      "--dump=json",
      "--eve=e.json",
      "--dry-run",
      "--no-color",
    ]),
    analyse({
      read: "x.pcap",
      config: "b.toml",
      filter: "udp",
      dump: "json",
      eve: "e.json",
      dryRun: true,
      noColor: true,
    }),
  );
  assertEquals(
    parseCommandLine(["-r", "x.pcap", "--dump=text"]),
    analyse({ read: "x.pcap", dump: "text" }),
  );
  assertEquals(parseCommandLine(["--interface", "veth0"]), analyse({ interface: "veth0" }));
  assertEquals(parseCommandLine(["-ieth1"]), analyse({ interface: "eth1" }));
});

Deno.test("parseCommandLine() reads --help, --version and the subcommands", () => {
  assertEquals(parseCommandLine(["-h"]), { kind: "help" });
  assertEquals(parseCommandLine(["-i", "eth0", "--help"]), { kind: "help" });
  assertEquals(parseCommandLine(["bans", "list", "--help"]), { kind: "help" });
  assertEquals(parseCommandLine(["-V"]), { kind: "version" });
  assertEquals(parseCommandLine(["--version"]), { kind: "version" });
  assertEquals(parseCommandLine(["bans", "list"]), {
    kind: "bans-list",
    json: false,
    config: null,
  });
  assertEquals(parseCommandLine(["bans", "list", "--json", "-c", "a.toml"]), {
    kind: "bans-list",
    json: true,
    config: "a.toml",
  });
  assertEquals(parseCommandLine(["bans", "unban", "192.0.2.7"]), {
    kind: "bans-unban",
    ip: "192.0.2.7",
    config: null,
  });
  assertEquals(parseCommandLine(["bans", "unban", "--config=c.toml", "2001:db8::7"]), {
    kind: "bans-unban",
    ip: "2001:db8::7",
    config: "c.toml",
  });
  assertEquals(parseCommandLine(["bans", "flush"]), { kind: "bans-flush", config: null });
  assertEquals(parseCommandLine(["interfaces"]), { kind: "interfaces" });
  assertEquals(parseCommandLine(["config", "default"]), { kind: "config-default" });
  assertEquals(parseCommandLine(["config", "check", "x.toml"]), {
    kind: "config-check",
    file: "x.toml",
  });
});

Deno.test("parseCommandLine() names the flag and says what to do on bad usage", () => {
  assertEquals(
    usageError(["--interfce", "eth0"]),
    "Unknown option --interfce: did you mean --interface?",
  );
  assertEquals(usageError(["--dryrun"]), "Unknown option --dryrun: did you mean --dry-run?");
  assertEquals(usageError(["--eve-file=x"]), "Unknown option --eve-file: did you mean --eve?");
  assertEquals(usageError(["-x"]), "Unknown option -x: see 'pcap_ts --help' for the options");
  assertEquals(
    usageError(["-interface", "x"]),
    "Unknown option -interface: did you mean --interface?",
  );
  assertEquals(usageError(["-v"]), "Unknown option -v: did you mean -V?");
  assertEquals(usageError(["-dry-run"]), "Unknown option -dry-run: did you mean --dry-run?");
  assertEquals(
    usageError(["--zzzzzzzzzz"]),
    "Unknown option --zzzzzzzzzz: see 'pcap_ts --help' for the options",
  );
  assertEquals(
    usageError(["-i"]),
    "Option -i needs a device name: write it after the option, as in -i eth0",
  );
  assertEquals(
    usageError(["--read", "--dump"]),
    "Option --read needs a capture file: write it after the option, as in --read capture.pcap",
  );
  assertEquals(
    usageError(["--eve="]),
    "Option --eve needs a file name ('-' for stdout), not an empty string",
  );
  assertEquals(
    usageError(["--dump=xml"]),
    "Cannot use --dump=xml: write --dump=text (one line per packet) or --dump=json",
  );
  assertEquals(
    usageError(["--dump", "json"]),
    'Unexpected argument "json": to choose the dump format write --dump=json',
  );
  assertEquals(usageError(["--dry-run=yes"]), "Option --dry-run takes no value: write --dry-run");
  assertEquals(usageError(["-i", "a", "-i", "b"]), "Option -i is given twice: give it once");
  assert(
    usageError(["-r", "x.pcap", "-i", "eth0"]).startsWith(
      "Options --read and --interface exclude each other",
    ),
  );
  assertEquals(usageError(["ban", "list"]), 'Unknown command "ban": did you mean "bans"?');
  assertEquals(
    usageError(["-c", "x.toml", "bans", "list"]),
    'The command "bans" must come first: write pcap_ts bans ... (options after it)',
  );
  assertEquals(
    usageError(["bans"]),
    "The bans command needs one of: list, unban, flush (as in pcap_ts bans list)",
  );
  assertEquals(
    usageError(["bans", "lst"]),
    'Unknown bans command "lst": did you mean "bans list"?',
  );
  assertEquals(
    usageError(["bans", "unban"]),
    "The bans unban command needs exactly one IP address: pcap_ts bans unban 192.0.2.7",
  );
  assertEquals(
    usageError(["bans", "unban", "host.example"]),
    'Cannot unban "host.example": not an IP address; give one such as 192.0.2.7 or 2001:db8::7',
  );
  assertEquals(
    usageError(["bans", "flush", "--json"]),
    "Unknown option --json: see 'pcap_ts --help' for the options",
  );
  assertEquals(usageError(["bans", "list", "--jsn"]), "Unknown option --jsn: did you mean --json?");
  assertEquals(
    usageError(["interfaces", "x"]),
    'The interfaces command takes no arguments: remove "x"',
  );
  assertEquals(
    usageError(["config", "check"]),
    "The config check command needs exactly one file: pcap_ts config check FILE",
  );
  assert(
    usageError(["config", "default", "x"]).startsWith(
      'The config default command takes no arguments: remove "x"',
    ),
  );
});

Deno.test("applyCommandLine() overrides the config keys the flags stand for", () => {
  const c = applyCommandLine(defaultConfig(), {
    ...NONE,
    interface: "veth1",
    filter: "tcp",
    eve: "-",
    dump: "json",
    noColor: true,
  });
  assertEquals(c.capture.interface, "veth1");
  assertEquals(c.capture.filter, "tcp");
  assertEquals(c.output, { ...defaultConfig().output, eve: "-", dump: "json", color: "never" });
  assert(Object.isFrozen(c) && Object.isFrozen(c.capture));
  assertEquals(applyCommandLine(defaultConfig(), NONE), defaultConfig());
});

// main.ts as a subprocess: exit status and output as an operator sees them.

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function pcapTs(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withFile(text: string, fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("pcap_ts --help and --version print to stdout and exit 0", async () => {
  const help = await pcapTs("--help");
  assertEquals(help.code, 0);
  for (
    const word of [
      "--interface",
      "--read",
      "--config",
      "--filter",
      "--dump",
      "--eve",
      "--dry-run",
      "--no-color",
      "bans list",
      "bans unban",
      "bans flush",
      "interfaces",
      "config default",
      "config check",
      "--version",
    ]
  ) {
    assert(help.stdout.includes(word), `help lacks ${word}`);
  }
  const version = await pcapTs("-V");
  assertEquals(version.code, 0);
  assert(/^pcap_ts \d+\.\d+\.\d+ \(deno 2\./.test(version.stdout), version.stdout);
});

Deno.test("pcap_ts exits 2 on bad usage, naming the flag", async () => {
  const r = await pcapTs("--dum=json");
  assertEquals(r.code, 2);
  assert(r.stderr.includes("Unknown option --dum: did you mean --dump?"), r.stderr);
  assertEquals(r.stdout, "");
});

Deno.test("pcap_ts config default prints a config that config check accepts", async () => {
  const r = await pcapTs("config", "default");
  assertEquals(r.code, 0);
  assert(r.stdout.includes("[capture]") && r.stdout.includes('interface = ""'));
  await withFile(r.stdout, async (path) => {
    const check = await pcapTs("config", "check", path);
    assertEquals(check.code, 0, check.stderr);
    assertEquals(check.stdout, `${path}: valid\n`);
  });
});

Deno.test("pcap_ts config check exits 2 naming the key, the line and the fix", async () => {
  await withFile('[capture]\nfilter = "tcp"\ninterfce = "eth0"\n', async (path) => {
    const r = await pcapTs("config", "check", path);
    assertEquals(r.code, 2);
    assertEquals(
      r.stderr,
      `pcap_ts: Config ${path}: Unknown key "capture.interfce" (line 3): did you mean "capture.interface"?\n`,
    );
  });
  await withFile('[capture]\n\n\nsnaplen = "big"\n', async (path) => {
    const r = await pcapTs("config", "check", path);
    assertEquals(r.code, 2);
    assert(
      r.stderr.includes(
        'Cannot use "capture.snaplen" = "big" (line 4): expected a whole number from 68 to 262144',
      ),
      r.stderr,
    );
  });
  await withFile("[capture]\ninterface = \n", async (path) => {
    const r = await pcapTs("config", "check", path);
    assertEquals(r.code, 2);
    assert(r.stderr.includes("Invalid TOML at line 2, column "), r.stderr);
  });
  const missing = await pcapTs("config", "check", "/nonexistent/pcap_ts.toml");
  assertEquals(missing.code, 2);
  assert(missing.stderr.includes("Cannot read the file: no such file"), missing.stderr);
});

Deno.test("pcap_ts -c with a bad config exits 2 before any capture", async () => {
  await withFile('[output]\ncolor = "blue"\n', async (path) => {
    const r = await pcapTs("-r", "x.pcap", "-c", path);
    assertEquals(r.code, 2);
    assert(r.stderr.includes('Cannot use "output.color" = "blue" (line 2)'), r.stderr);
  });
});

Deno.test("tests/data/demo.toml is a valid config", async () => {
  const path = new URL("./data/demo.toml", import.meta.url).pathname;
  const r = await pcapTs("config", "check", path);
  assertEquals(r.code, 0, r.stderr);
});
