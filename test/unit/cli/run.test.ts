import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { operatorNamespace, parseDuration, parseLabelSelector, runCommand, toRunConfig, type NamespaceSources } from "../../../src/cli/run.js";
import { parseAddr } from "../../../src/observability/http.js";

describe("netfence run flags", () => {
  it("defaults match the values docs/reference.md documents", () => {
    // The flag table of "The operator: `netfence run`": | `--a`, `--b` | 1, 2 | meaning |
    const reference = readFileSync(new URL("../../../docs/reference.md", import.meta.url), "utf8");
    const table = reference.slice(reference.indexOf("## The operator: `netfence run`"), reference.indexOf("How it works, in one pass per profile"));
    const documented: Record<string, string> = {};
    for (const [, flags = "", defaults = ""] of table.matchAll(/^\| (`--[^|]+) \| ([^|]+) \|/gm)) {
      const names = [...flags.matchAll(/`--([a-z-]+)`/g)].map((m) => m[1] ?? "");
      const values = defaults.split(",").map((v) => v.trim().replace(/`/g, ""));
      names.forEach((name, i) => (documented[name] = values[i] ?? ""));
    }
    const withDefaults = Object.entries(runCommand.options).filter(([, spec]) => "default" in spec);
    expect(Object.keys(documented)).toEqual(expect.arrayContaining(withDefaults.map(([name]) => name)));
    const given = Object.fromEntries(withDefaults.map(([name]) => [name, documented[name]]));
    expect(toRunConfig(given)).toEqual(toRunConfig({}));
  });

  it.each<[string, string, number]>([
    ["half a second", "0.5s", 0.5],
    ["0 re-counts on every pod change", "0", 0],
    ["a minute", "1m", 60],
  ])("takes a pod batch period of %s", (_name, text, seconds) => {
    expect(toRunConfig({ "pod-batch-period": text }).podBatchSeconds).toBe(seconds);
  });

  it.each<[string, Record<string, string>, string]>([
    ["a non-numeric concurrency", { concurrency: "many" }, "--concurrency: expected a positive integer, got 'many'"],
    ["a zero qps", { qps: "0" }, "--qps: expected a positive number, got '0'"],
    ["a fractional burst", { burst: "1.5" }, "--burst: expected a positive integer, got '1.5'"],
    ["an unknown log level", { "log-level": "loud" }, "--log-level: expected trace, debug, info, warn, error, fatal or silent, got 'loud'"],
    ["a malformed DNS selector", { "dns-pod-selector": "k8s-app" }, "--dns-pod-selector: expected key=value[,key=value…], got 'k8s-app'"],
    ["a malformed resync period", { "resync-period": "soon" }, "--resync-period: expected a duration like 30s, 10m or 1h, got 'soon'"],
    ["a malformed pod batch period", { "pod-batch-period": "fast" }, "--pod-batch-period: expected a duration like 30s, 10m or 1h, got 'fast'"],
    ["a zero resync period", { "resync-period": "0" }, "--resync-period: expected a duration greater than zero, got '0'"],
    ["a zero resync period in minutes", { "resync-period": "0m" }, "--resync-period: expected a duration greater than zero, got '0m'"],
    ["a negative resync period", { "resync-period": "-5m" }, "--resync-period: expected a duration like 30s, 10m or 1h, got '-5m'"],
    ["a negative pod batch period", { "pod-batch-period": "-1s" }, "--pod-batch-period: expected a duration like 30s, 10m or 1h, got '-1s'"],
    ["a zero concurrency", { concurrency: "0" }, "--concurrency: expected a positive integer, got '0'"],
    ["a negative write concurrency", { "write-concurrency": "-2" }, "--write-concurrency: expected a positive integer, got '-2'"],
    ["a negative qps", { qps: "-1" }, "--qps: expected a positive number, got '-1'"],
    ["a zero burst", { burst: "0" }, "--burst: expected a positive integer, got '0'"],
    ["no status entries", { "status-namespaces": "0" }, "--status-namespaces: expected a positive integer, got '0'"],
    ["more status entries than the CRD holds", { "status-namespaces": "101" }, "--status-namespaces: at most 100 (the CRD's limit), got '101'"],
  ])("rejects %s naming the flag", (_name, values, message) => {
    expect(() => toRunConfig(values)).toThrow(message);
  });

  it.each<[string, string, number]>([
    ["seconds", "90s", 90],
    ["minutes", "10m", 600],
    ["hours", "1h", 3600],
    ["a bare number is seconds", "45", 45],
  ])("parses a duration in %s", (_name, text, seconds) => {
    expect(parseDuration("resync-period", text)).toBe(seconds);
  });

  it("parses a DNS pod selector into matchLabels", () => {
    expect(parseLabelSelector("dns-pod-selector", "k8s-app=coredns,tier=dns")).toEqual({ "k8s-app": "coredns", tier: "dns" });
  });

  it.each<[string, string, { host: string; port: number } | undefined]>([
    [":8080 listens on every address", ":8080", { host: "0.0.0.0", port: 8080 }],
    ["host:port", "127.0.0.1:9090", { host: "127.0.0.1", port: 9090 }],
    ["an IPv6 host", "[::1]:8080", { host: "::1", port: 8080 }],
    ["0 disables the server", "0", undefined],
  ])("parses the address %s", (_name, addr, expected) => {
    expect(parseAddr(addr)).toEqual(expected);
  });

  it("rejects a bad port", () => {
    expect(() => parseAddr(":http")).toThrow("invalid address ':http'");
  });
});

describe("netfence run: its own namespace", () => {
  const sources = (env: Record<string, string>, file?: string): NamespaceSources => ({ env, serviceAccountNamespace: () => file });
  it.each<[string, string | undefined, NamespaceSources, string]>([
    ["--namespace wins", "ops", sources({ POD_NAMESPACE: "pod-ns" }, "sa-ns"), "ops"],
    ["then $POD_NAMESPACE", undefined, sources({ POD_NAMESPACE: "pod-ns" }, "sa-ns"), "pod-ns"],
    ["then the service account's namespace file", undefined, sources({}, "sa-ns"), "sa-ns"],
    ["an empty file is no namespace", undefined, sources({}, ""), "netfence-system"],
    ["else netfence-system", undefined, sources({}), "netfence-system"],
  ])("%s", (_name, explicit, from, expected) => {
    expect(operatorNamespace(explicit, from)).toBe(expected);
  });

  it("is resolved by the config step, before run()", () => {
    expect(toRunConfig({}, sources({ POD_NAMESPACE: "pod-ns" })).namespace).toBe("pod-ns");
    expect(toRunConfig({ namespace: "ops" }, sources({ POD_NAMESPACE: "pod-ns" })).namespace).toBe("ops");
  });
});
