import assert from "node:assert/strict";
import { bansFlush, bansList, bansUnban, formatBanTable } from "./ban_cli.ts";
import { RESPONSE_BAN_SECTION } from "./ban_config.ts";
import { sectionDefaults } from "../config/spec.ts";
import { MemoryBackend } from "./firewall.ts";
import { saveState } from "./state.ts";

async function setup() {
  const dir = await Deno.makeTempDir();
  const config = {
    response: { ...sectionDefaults(RESPONSE_BAN_SECTION), state_file: `${dir}/state.json` },
  };
  const now = 1_700_000_000_000;
  const backend = new MemoryBackend({ nowMs: () => now });
  backend.ban("192.0.2.7", 600, "scan.port: x");
  backend.ban("2001:db8::7", 3600, "attack.ssh: y");
  await backend.commit();
  await saveState(config.response.state_file, {
    version: 1,
    savedAt: now / 1000,
    bans: [{
      ip: "192.0.2.7",
      kind: "ban",
      until: now / 1000 + 600,
      reason: "scan.port: x",
      offences: 2,
      since: now / 1000,
    }],
    offences: [{ ip: "192.0.2.7", count: 2, last: now / 1000 }],
  });
  return { dir, config, backend };
}

Deno.test("bansList() prints a table or JSON with remaining time and offence counts", async () => {
  const { dir, config, backend } = await setup();
  try {
    assert.deepEqual(await bansList(config, {}, { backend }), {
      code: 0,
      text: [
        "ADDRESS                                 KIND  EXPIRES IN  OFFENCES REASON",
        "192.0.2.7                               ban   10m         2        scan.port: x",
        "2001:db8::7                             ban   1h          -        attack.ssh: y",
      ].join("\n"),
    });
    assert.deepEqual(JSON.parse((await bansList(config, { json: true }, { backend })).text), [
      {
        ip: "192.0.2.7",
        kind: "ban",
        expires_s: 600,
        timeout_s: 600,
        reason: "scan.port: x",
        offences: 2,
      },
      {
        ip: "2001:db8::7",
        kind: "ban",
        expires_s: 3600,
        timeout_s: 3600,
        reason: "attack.ssh: y",
        offences: null,
      },
    ]);
    assert.equal(formatBanTable([], new Map()), "No active bans");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bansUnban() validates, refuses what is not banned, removes and updates the state", async () => {
  const { dir, config, backend } = await setup();
  try {
    assert.equal((await bansUnban(config, "192.0.2.300", { backend })).code, 2);
    assert.deepEqual(await bansUnban(config, "192.0.2.8", { backend }), {
      code: 1,
      text: '192.0.2.8 is not banned (see "pcap_ts bans list")',
    });
    assert.deepEqual(await bansUnban(config, "192.0.2.7", { backend }), {
      code: 0,
      text: "Removed the ban of 192.0.2.7",
    });
    assert.deepEqual((await backend.list()).map((e) => e.ip), ["2001:db8::7"]);
    const saved = JSON.parse(await Deno.readTextFile(config.response.state_file));
    assert.deepEqual(saved.bans, []);
    assert.equal(saved.offences.length, 1, "offence history is kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bansFlush() empties the sets; dry_run only says what it would do", async () => {
  const { dir, config, backend } = await setup();
  try {
    const dry = { response: { ...config.response, dry_run: true } };
    assert.deepEqual(await bansFlush(dry, { backend }), {
      code: 0,
      text: "dry-run: would remove 2 bans",
    });
    assert.deepEqual(await bansUnban(dry, "192.0.2.7", { backend }), {
      code: 0,
      text: "dry-run: would remove the ban of 192.0.2.7",
    });
    assert.equal((await backend.list()).length, 2);
    assert.deepEqual(await bansFlush(config, { backend }), { code: 0, text: "Removed 2 bans" });
    assert.deepEqual(await backend.list(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
