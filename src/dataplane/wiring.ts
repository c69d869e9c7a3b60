/**
 * A pod as a network namespace, wired the way Calico CNI wires it: a veth whose
 * host end is `cali<11 hex>`, the pod's /32 on `eth0` inside, a link route to
 * 169.254.1.1 and the default route through it; on the host, proxy ARP on the
 * veth and a /32 route to the pod.
 */
import { writeFile } from "node:fs/promises";
import { ipBatch, run, tryRun } from "./exec.js";
import { ROUTE_PROTO } from "./names.js";

export interface PodWiring {
  netns: string;
  /** Host end of the veth (cali…). */
  veth: string;
  ip: string;
}

export async function wirePod({ netns, veth, ip }: PodWiring): Promise<void> {
  const peer = `nfp${veth.slice(4, 15)}`.slice(0, 15);
  await run("ip", ["netns", "add", netns]);
  await ipBatch([`link add ${veth} type veth peer name ${peer}`, `link set ${peer} netns ${netns}`]);
  await ipBatch(
    [
      `link set ${peer} name eth0`,
      "link set lo up",
      "link set eth0 up",
      `addr add ${ip}/32 dev eth0`,
      "route add 169.254.1.1 dev eth0 scope link",
      "route add default via 169.254.1.1 dev eth0",
    ],
    netns,
  );
  await run("ip", ["link", "set", veth, "up"]);
  await writeFile(`/proc/sys/net/ipv4/conf/${veth}/proxy_arp`, "1");
  // Answer ARP for 169.254.1.1 at once (the kernel delays proxy replies by up to 0.8 s otherwise), as Calico CNI does.
  await writeFile(`/proc/sys/net/ipv4/neigh/${veth}/proxy_delay`, "0");
  await run("ip", ["route", "add", `${ip}/32`, "dev", veth, "scope", "link", "proto", ROUTE_PROTO]);
}

/** Deleting the namespace deletes the veth pair and the routes through it. */
export async function unwirePod(netns: string): Promise<void> {
  await tryRun("ip", ["netns", "delete", netns]);
}

export async function listNetns(): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);
}
