import assert from "node:assert/strict";
import { type BanState, loadState, saveState, STATE_VERSION, StateStore } from "./state.ts";

function sample(n: number): BanState {
  return {
    version: STATE_VERSION,
    savedAt: 1_700_000_000 + n,
    bans: [{
      ip: "192.0.2.7",
      kind: "ban",
      until: 1_700_000_600 + n,
      reason: `r${n}`,
      offences: n,
      since: 1_700_000_000,
    }],
    offences: [{ ip: "192.0.2.7", count: n, last: 1_700_000_000 + n }],
  };
}

Deno.test("saveState() then loadState() round-trips; a missing file is an empty state", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/state.json`;
    assert.deepEqual(await loadState(path), {
      state: { version: 1, savedAt: 0, bans: [], offences: [] },
      warning: null,
    });
    await saveState(path, sample(1));
    assert.deepEqual(await loadState(path), { state: sample(1), warning: null });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["state.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveState() killed with SIGKILL before the rename leaves the old file intact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    await saveState(path, sample(1));
    const url = new URL("./state.ts", import.meta.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { saveState } from "${url}";
         await saveState(${JSON.stringify(path)}, ${JSON.stringify(sample(2))}, {
           beforeRename: async () => { console.log("written"); await new Promise(() => setInterval(() => {}, 1000)); },
         });`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /written/);
    // The new state is fully written and fsynced in the temporary file now; crash.
    child.kill("SIGKILL");
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    assert.equal(status.signal, "SIGKILL");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.equal(names.length, 2, `expected the old file and a leftover temp file: ${names}`);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), sample(1));
    // Loading keeps the old state and removes the leftover.
    assert.deepEqual(await loadState(path), { state: sample(1), warning: null });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadState() moves a corrupt file aside with a clear message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    for (
      const [content, why] of [
        ['{"version": 1, "bans": [', /not valid JSON/],
        ['{"version": 99, "bans": [], "offences": []}', /version 99, expected 1/],
        [
          '{"version": 1, "savedAt": 0, "bans": [{"ip": "x"}], "offences": []}',
          /bans\[0\] is malformed/,
        ],
      ] as const
    ) {
      await Deno.writeTextFile(path, content);
      const r = await loadState(path, 1_700_000_000);
      assert.deepEqual(r.state.bans, []);
      assert.match(r.warning ?? "", why);
      assert.match(r.warning ?? "", /moved it to .*state\.json\.corrupt-2023-11-14T22-13-20-000Z/);
      const aside = `${path}.corrupt-2023-11-14T22-13-20-000Z`;
      assert.equal(await Deno.readTextFile(aside), content);
      await Deno.remove(aside);
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.save() serialises writes and the newest state wins", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new StateStore(`${dir}/state.json`);
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.save(sample(n))));
    assert.equal(store.lastError, null);
    assert.deepEqual((await loadState(store.path)).state, sample(5));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveState() names the path when it cannot write", async () => {
  await assert.rejects(
    saveState("/proc/pcap_ts_no/state.json", sample(1)),
    /Cannot write the state file \/proc\/pcap_ts_no\/state\.json/,
  );
});
