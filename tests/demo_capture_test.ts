import { assert, assertEquals } from "../config/_test_assert.ts";
import { netnsUnavailable, run } from "./netns.ts";

const SCRIPT = new URL("../scripts/make_demo_capture.sh", import.meta.url).pathname;
const skip = await netnsUnavailable();

Deno.test({
  name: "make_demo_capture.sh records nmap, ping, curl and DNS traffic and cleans up",
  ignore: skip !== null,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/demo.pcap`;
      const r = await run([SCRIPT, out]);
      assertEquals(r.code, 0, r.stderr);
      const dump = await run(["tcpdump", "-r", out, "-n", "-tt"]);
      assertEquals(dump.code, 0, dump.stderr);
      const lines = dump.stdout.trimEnd().split("\n");
      assert(lines.length >= 200 && lines.length <= 1000, `${lines.length} packets`);
      // nmap: a SYN to each of the 100 ports, every closed one refused by RST.
      const synPorts = new Set(
        lines.filter((l) => /> 10\.200\.70\.1\.\d+: Flags \[S\], seq \d+, win 1024/.test(l))
          .map((l) => /10\.200\.70\.1\.(\d+):/.exec(l)![1]),
      );
      assertEquals(synPorts.size, 100);
      assert(lines.some((l) => l.includes("ICMP echo reply")));
      assert(lines.some((l) => l.includes("ARP, Request who-has 10.200.70.5")));
      assert(lines.some((l) => l.includes("HTTP: GET /missing.php")));
      assert(lines.some((l) => l.includes("A? example.com.")));
      assert(lines.some((l) => l.includes("udp port 53 unreachable")));
      const ns = await run(["ip", "netns", "list"]);
      assertEquals(/\bpts70-[ab]\b/.test(ns.stdout), false, "namespaces left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
