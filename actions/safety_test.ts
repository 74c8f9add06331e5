import assert from "node:assert/strict";
import { parseProcIpv6Route, parseProcRoute, parseResolvConf, SafetyGuard } from "./safety.ts";
import { cidrContains, normalizeIp, parseCidr, parseCidrLoose } from "./safety_ip.ts";

Deno.test("normalizeIp() gives the kernel's canonical text and rejects malformed input", () => {
  const cases: [string, string | null][] = [
    ["192.0.2.7", "192.0.2.7"],
    ["192.0.2.07", null],
    ["256.0.0.1", null],
    ["FD00:0:0:0:0:0:0:1", "fd00::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8::", "2001:db8::"],
    ["::", "::"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["fe80::1%eth0", null],
    ["1::2::3", null],
    ["2001:db8:1::/64", "2001:db8:1::/64"],
    ["2001:db8:1::5/64", null],
    ["10.0.0.0/33", null],
    ["", null],
  ];
  for (const [input, want] of cases) assert.equal(normalizeIp(input), want, input);
  assert.equal(normalizeIp(" 192.0.2.7 "), "192.0.2.7");
});

Deno.test("parseCidrLoose() clears host bits and cidrContains() tests membership", () => {
  const net = parseCidrLoose("10.1.2.3/8")!;
  assert.ok(cidrContains(net, parseCidr("10.255.0.1")!));
  assert.ok(!cidrContains(net, parseCidr("11.0.0.1")!));
  assert.ok(!cidrContains(net, parseCidr("::1")!));
});

Deno.test("parseProcRoute() reads little-endian gateways; parseProcIpv6Route() next hops", () => {
  // /proc/net/route of this machine (default route via 192.0.2.1).
  const route =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  assert.deepEqual(parseProcRoute(route), ["192.0.2.1"]);
  const v6 =
    "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n" +
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n";
  assert.deepEqual(parseProcIpv6Route(v6), ["fd00::1"]);
  assert.deepEqual(
    parseResolvConf("# x\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nsearch a\n"),
    [
      "10.255.255.53",
      "fe80::1",
    ],
  );
});

Deno.test("SafetyGuard.check() refuses special, own, gateway, resolver and allowlisted addresses", () => {
  const g = new SafetyGuard({
    allowlist: ["198.51.100.0/24", "2001:db8:aa::/48"],
    host: {
      own: ["10.200.40.1", "fd00:200:40::1"],
      gateways: ["192.0.2.1"],
      dns: ["10.255.255.53"],
    },
  });
  const reason = (ip: string) => g.check(ip)?.reason ?? null;
  assert.equal(reason("127.0.0.5"), "loopback");
  assert.equal(reason("::1"), "loopback");
  assert.equal(reason("0.0.0.0"), "unspecified");
  assert.equal(reason("::"), "unspecified");
  assert.equal(reason("169.254.1.1"), "link-local");
  assert.equal(reason("fe80::5"), "link-local");
  assert.equal(reason("239.1.1.1"), "multicast");
  assert.equal(reason("ff02::1"), "multicast");
  assert.equal(reason("255.255.255.255"), "broadcast");
  assert.equal(reason("10.200.40.1"), "own address");
  assert.equal(reason("fd00:200:40::/64"), "own address"); // a prefix holding our address
  assert.equal(reason("192.0.2.1"), "gateway");
  assert.equal(reason("10.255.255.53"), "dns resolver");
  assert.equal(reason("198.51.100.77"), "allowlist");
  assert.equal(reason("2001:db8:aa:1::/64"), "allowlist");
  assert.equal(reason("nonsense"), "invalid address");
  assert.equal(reason("10.200.40.2"), null);
  assert.equal(reason("fd00:200:40::2"), null);
  assert.equal(reason("fd00:200:41::/64"), null);
  assert.match(g.check("192.0.2.1")!.detail, /this host's gateway 192\.0\.2\.1/);
});

Deno.test("SafetyGuard.takeSlot() caps new bans per rolling minute", () => {
  const g = new SafetyGuard({ maxBansPerMinute: 3 });
  assert.equal(g.takeSlot(1000), null);
  assert.equal(g.takeSlot(1010), null);
  assert.equal(g.takeSlot(1020), null);
  assert.equal(g.takeSlot(1030)?.reason, "rate cap");
  // At 1060 the slot taken at 1000 is a minute old and frees.
  assert.equal(g.takeSlot(1060), null);
  assert.equal(g.takeSlot(1061)?.reason, "rate cap");
});

Deno.test("SafetyGuard rejects a malformed allowlist entry naming the key", () => {
  assert.throws(
    () => new SafetyGuard({ allowlist: ["10.0.0.0/99"] }),
    /response\.allowlist.*10\.0\.0\.0\/99/,
  );
});
