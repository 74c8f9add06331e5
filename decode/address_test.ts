import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cidrContains,
  ipEquals,
  ipToString,
  ipv4ToString,
  ipv6ToString,
  macToString,
  parseCidr,
  parseIp,
  parseIpWords,
  prefixEquals,
} from "./address.ts";

Deno.test("ipv4ToString() writes dotted quads from unsigned or signed numbers", () => {
  assert.equal(ipv4ToString(0xc0a80001), "192.168.0.1");
  assert.equal(ipv4ToString(0xc0a80001 | 0), "192.168.0.1");
  assert.equal(ipv4ToString(0), "0.0.0.0");
});

Deno.test("ipv6ToString() follows RFC 5952", () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0], "::"],
    [[0, 0, 0, 1], "::1"],
    [[0x20010db8, 0, 0, 1], "2001:db8::1"],
    // Longest zero run wins; the first of two equal runs wins (RFC 5952 4.2.3).
    [[0x20010db8, 0, 0x00010000, 1], "2001:db8::1:0:0:1"],
    [[0x20010db8, 0x00000001, 0x00000000, 0x00010000], "2001:db8:0:1::1:0"],
    // A single zero group is not shortened (4.2.2).
    [[0x20010db8, 0x00000001, 0x00010001, 0x00010001], "2001:db8:0:1:1:1:1:1"],
    [[0xfe800000, 0, 0x021122ff, 0xfe334455], "fe80::211:22ff:fe33:4455"],
    [[0, 0, 0xffff, 0xc0000201], "::ffff:192.0.2.1"],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ];
  for (const [words, text] of cases) assert.equal(ipv6ToString(words), text);
});

Deno.test("parseIp() reads IPv4 and IPv6 text and rejects the rest", () => {
  assert.deepStrictEqual(parseIp("10.1.2.3"), {
    version: 4,
    words: new Uint32Array([0x0a010203, 0, 0, 0]),
  });
  assert.deepStrictEqual(parseIp("2001:db8::1")?.words, new Uint32Array([0x20010db8, 0, 0, 1]));
  assert.deepStrictEqual(
    parseIp("::ffff:1.2.3.4")?.words,
    new Uint32Array([0, 0, 0xffff, 0x01020304]),
  );
  assert.deepStrictEqual(
    parseIp("1:2:3:4:5:6:7:8")?.words,
    new Uint32Array([0x10002, 0x30004, 0x50006, 0x70008]),
  );
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1.2.3.4.5",
      "::1::",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "g::",
      "1:2:3:4:5:6:7::8",
      "fe80::1%eth0",
      "1.2.3.4::",
      "::1.2.3.4:1",
      " 1.2.3.4",
    ]
  ) {
    assert.equal(parseIp(bad), null, JSON.stringify(bad));
  }
});

Deno.test("parseIp() reads back what ipToString() writes", () => {
  fc.assert(
    fc.property(fc.uint32Array({ minLength: 4, maxLength: 4 }), fc.boolean(), (w, v4) => {
      const words = v4 ? new Uint32Array([w[0]!, 0, 0, 0]) : w;
      const parsed = parseIp(ipToString(v4 ? 4 : 6, words));
      return parsed !== null && parsed.version === (v4 ? 4 : 6) &&
        ipEquals(parsed.version, parsed.words, words);
    }),
  );
});

Deno.test("parseCidr() and cidrContains() match addresses by prefix", () => {
  const net = parseCidr("192.0.2.77/24");
  assert.ok(net !== null);
  assert.equal(ipv4ToString(net.words[0]!), "192.0.2.0");
  assert.equal(cidrContains(net, 4, [0xc00002ff, 0, 0, 0]), true);
  assert.equal(cidrContains(net, 4, [0xc0000301, 0, 0, 0]), false);
  const v6 = parseCidr("2001:db8::/33");
  assert.ok(v6 !== null);
  assert.equal(cidrContains(v6, 6, [0x20010db8, 0x7fffffff, 1, 1]), true);
  assert.equal(cidrContains(v6, 6, [0x20010db8, 0x80000000, 0, 0]), false);
  assert.equal(cidrContains(v6, 4, [0x20010db8, 0, 0, 0]), false);
  const all = parseCidr("0.0.0.0/0");
  assert.equal(all !== null && cidrContains(all, 4, [0xffffffff, 0, 0, 0]), true);
  assert.equal(parseCidr("10.0.0.1")?.prefixLen, 32);
  for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "x/8"]) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

Deno.test("parseIpWords() accepts leading zeros and a dotted quad before :: only when asked", () => {
  const parse = (text: string, syntax = {}) => {
    const w = new Uint32Array(4).fill(7);
    return [parseIpWords(text, w, syntax), ...w];
  };
  assert.deepStrictEqual(parse("192.0.2.1"), [4, 0xc0000201, 0, 0, 0]);
  assert.deepStrictEqual(parse("::ffff:192.0.2.1"), [6, 0, 0, 0xffff, 0xc0000201]);
  // Strict (decode/, actions/): no leading zeros, a dotted quad only at the end.
  assert.deepStrictEqual(parse("010.0.0.1"), [0, 0, 0, 0, 0]);
  assert.deepStrictEqual(parse("1.2.3.4::"), [0, 0, 0, 0, 0]);
  // flow/: leading zeros.
  assert.deepStrictEqual(parse("010.0.0.1", { leadingZeros: true }), [4, 0x0a000001, 0, 0, 0]);
  assert.deepStrictEqual(parse("1.2.3.4::", { leadingZeros: true }), [0, 0, 0, 0, 0]);
  // config/: also a dotted quad before "::", within the 45 characters of IPv6 text.
  const config = { leadingZeros: true, dottedQuadBeforeGap: true };
  assert.deepStrictEqual(parse("1.2.3.4::", config), [6, 0x01020304, 0, 0, 0]);
  assert.deepStrictEqual(parse("255.255.255.255::ffff:ffff:ffff:255.255.255.255", config), [
    0,
    0,
    0,
    0,
    0,
  ]);
});

Deno.test("prefixEquals() compares only the prefix bits, from any offset", () => {
  const table = [9, 0x20010db8, 0x7fffffff, 1, 1];
  assert.equal(prefixEquals(table, 1, [0x20010db8, 0, 0, 0], 0, 32), true);
  assert.equal(prefixEquals(table, 1, [0x20010db8, 0, 0, 0], 0, 33), true);
  assert.equal(prefixEquals(table, 1, [0x20010db8, 0, 0, 0], 0, 34), false);
  assert.equal(prefixEquals(table, 1, [0, 0, 0, 0], 0, 0), true);
});

Deno.test("macToString() writes colon-separated lower-case hex", () => {
  const buf = new Uint8Array([0, 0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0xff]);
  assert.equal(macToString(buf, 1), "0a:bc:de:f0:12:34");
  assert.equal(macToString(buf, 6, 2), "34:ff");
  assert.equal(macToString(buf, 0, 0), "");
});
