import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { Metrics } from "../../../src/observability/metrics.js";

/** The value of one unlabelled series as /metrics serves it. */
async function scraped(metrics: Metrics, name: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

async function workQueueSeries(metrics: Metrics): Promise<Record<string, number | undefined>> {
  const names = ["netfence_workqueue_depth", "netfence_workqueue_delayed", "netfence_workqueue_in_flight", "netfence_workqueue_adds_total", "netfence_workqueue_retries_total"];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await scraped(metrics, n)] as const)));
}

describe("the work queue on /metrics", () => {
  it("serves the queue's gauges as they are and its running totals as counters", async () => {
    const scrapes = [
      { depth: 2, delayed: 1, inFlight: 3, adds: 10, retries: 1 },
      { depth: 0, delayed: 0, inFlight: 1, adds: 14, retries: 1 },
    ];
    const metrics = new Metrics();
    for (const q of scrapes) {
      metrics.workQueue(q);
      expect(await workQueueSeries(metrics)).toEqual({
        netfence_workqueue_depth: q.depth,
        netfence_workqueue_delayed: q.delayed,
        netfence_workqueue_in_flight: q.inFlight,
        netfence_workqueue_adds_total: q.adds,
        netfence_workqueue_retries_total: q.retries,
      });
    }
  });

  it("a scrape that sees the same totals moves no counter", async () => {
    const metrics = new Metrics();
    metrics.workQueue({ depth: 0, delayed: 0, inFlight: 0, adds: 5, retries: 2 });
    metrics.workQueue({ depth: 0, delayed: 0, inFlight: 0, adds: 5, retries: 2 });
    expect(await scraped(metrics, "netfence_workqueue_adds_total")).toBe(5);
    expect(await scraped(metrics, "netfence_workqueue_retries_total")).toBe(2);
  });

  it("declares the totals as counters and the rest as gauges", async () => {
    const text = await new Metrics().registry.metrics();
    for (const name of ["adds_total", "retries_total"]) expect(text).toContain(`# TYPE netfence_workqueue_${name} counter`);
    for (const name of ["depth", "delayed", "in_flight"]) expect(text).toContain(`# TYPE netfence_workqueue_${name} gauge`);
  });
});

describe("the metrics table of docs/reference.md", () => {
  it("has a row for every metric netfence registers beside prom-client's process metrics", () => {
    const reference = readFileSync(new URL("../../../docs/reference.md", import.meta.url), "utf8");
    const table = reference.slice(reference.indexOf("## Metrics"), reference.indexOf("## Events"));
    const documented = [...table.matchAll(/^\| `(netfence_[a-z_]+)[`{]/gm)].map((m) => m[1]);
    const registered = new Metrics().registry
      .getMetricsAsArray()
      .map((m) => m.name)
      .filter((name) => !/^netfence_(process|nodejs)_/.test(name));
    expect(documented.sort()).toEqual(registered.sort());
  });
});
