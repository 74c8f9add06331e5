/** Devices as libpcap lists them, on the host and inside a test namespace (id 12). */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { formatIpv6, listDevices } from "./devices.ts";
import { createTestNet, netnsUnavailable } from "../tests/netns.ts";

const skip = await netnsUnavailable();
const DEVICES = new URL("./devices.ts", import.meta.url).pathname;

Deno.test("formatIpv6() compresses the longest zero run", () => {
  const b = new Uint8Array(16);
  assertEquals(formatIpv6(b), "::");
  b[15] = 1;
  assertEquals(formatIpv6(b), "::1");
  b.set([0xfd, 0, 0, 0x42, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
  assertEquals(formatIpv6(b), "fd00:42::1:0:0:2");
});

Deno.test("listDevices() finds loopback, up, with 127.0.0.1", () => {
  const lo = listDevices().find((d) => d.name === "lo");
  assert(lo !== undefined, "no lo device");
  assertEquals([lo.up, lo.running, lo.loopback], [true, true, true]);
  assert(lo.addresses.some((a) =>
    a.family === "ipv4" && a.address === "127.0.0.1" &&
    a.netmask === "255.0.0.0"
  ));
  assert(lo.addresses.some((a) => a.family === "ipv6" && a.address === "::1"));
});

Deno.test({
  name: "defaultDevice() picks the veth in a namespace, and explains when only loopback is up",
  ignore: skip !== null,
  async fn() {
    const net = await createTestNet(12);
    try {
      const code = `import { defaultDevice } from "${DEVICES}";
try { const d = defaultDevice(); console.log("ok " + d.name + " " +
  d.addresses.filter((a) => a.family !== "link" && !a.address.startsWith("fe80")).map((a) => a.address).join(","));
} catch (e) { console.log(e.name + ": " + e.message); }`;
      const up = await net.must(net.nsA, [Deno.execPath(), "eval", code]);
      assertEquals(up.trim(), `ok ${net.ifA} ${net.ipA},${net.ip6A}`);
      await net.must(net.nsA, ["ip", "link", "set", net.ifA, "down"]);
      const down = await net.must(net.nsA, [Deno.execPath(), "eval", code]);
      assertMatch(
        down.trim(),
        /^PcapError: No capture device is up apart from loopback; name one with --interface \(devices seen: /,
      );
      assert(down.includes(`${net.ifA} (down)`), down);
      assert(down.includes("lo (up, loopback)"), down);
      assert(!down.includes("nflog"), down);
    } finally {
      await net.close();
    }
  },
});
