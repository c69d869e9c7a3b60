import { describe, expect, it } from "@jest/globals";
import { describeCalicoState, foreignStateMessage, ownerOf, type CalicoState } from "../../../src/dataplane/calico-state.js";

const none: CalicoState = { nftTables: [], iptablesChains: [], ipsets: [] };
const table: CalicoState = { ...none, nftTables: ["ip calico"] };
const chains: CalicoState = { ...none, iptablesChains: ["iptables-nft filter cali-FORWARD", "iptables-nft filter cali-INPUT"] };
const sets: CalicoState = { ...none, ipsets: ["cali40all-hosts-net"] };

describe("whose Calico state is on the machine when a run takes it", () => {
  it.each<[string, CalicoState, { felixStarted?: boolean } | undefined, ReturnType<typeof ownerOf>]>([
    ["no state and no record: nothing to do", none, undefined, "none"],
    ["no state, whatever a crashed run recorded", none, { felixStarted: true }, "none"],
    ["a table and no record is somebody else's", table, undefined, "foreign"],
    ["chains and no record are somebody else's", chains, undefined, "foreign"],
    ["ipsets and no record are somebody else's", sets, undefined, "foreign"],
    ["state and a crashed run that never started felix: somebody else's", table, { felixStarted: false }, "foreign"],
    ["state and a record of an older netfence (no felixStarted): somebody else's", chains, {}, "foreign"],
    ["state and a crashed run that started felix on a clean machine: that run's, swept", { ...table, ...chains, ...sets, nftTables: table.nftTables }, { felixStarted: true }, "crashed-run"],
  ])("%s", (_name, state, stale, expected) => {
    expect(ownerOf(state, stale)).toBe(expected);
  });
});

describe("the refusal names what it found, on one line", () => {
  it.each([
    ["one table", table, "1 nftables table (ip calico)"],
    ["two chains", chains, "2 iptables chains (iptables-nft filter cali-FORWARD, iptables-nft filter cali-INPUT)"],
    ["more than three names end in …", { ...none, ipsets: ["cali40a", "cali40b", "cali40c", "cali40d"] }, "4 ipsets (cali40a, cali40b, cali40c, …)"],
    ["every kind", { nftTables: ["ip calico"], iptablesChains: ["iptables-legacy mangle cali-PREROUTING"], ipsets: ["cali40x"] }, "1 nftables table (ip calico), 1 iptables chain (iptables-legacy mangle cali-PREROUTING), 1 ipset (cali40x)"],
  ])("%s", (_name, state, expected) => {
    expect(describeCalicoState(state)).toBe(expected);
  });

  it("says it removes only its own runs' state and how to remove the rest by hand", () => {
    const message = foreignStateMessage(table);
    expect(message).not.toContain("\n");
    expect(message).toContain("no netfence run recorded");
    expect(message).toContain("(1 nftables table (ip calico))");
    expect(message).toContain("netfence removes only what its own runs created");
  });
});
