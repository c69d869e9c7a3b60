/**
 * The walkthrough the project started from, as the demo replays it: five
 * states (s1 without any profile, s2–s5 one sample IsolationProfile each,
 * s5 with a second step after labelling nginx3) and the connectivity each
 * must show (test/fixtures/walkthrough/<state>/expect.json).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { MatrixCell } from "../policy/reachability.js";

export interface Probe {
  from: string;
  to: string;
  protocol: "ICMP" | "TCP" | "UDP" | "SCTP";
  port?: number;
  allowed: boolean;
  seenInTutorial?: boolean;
}

export interface Step {
  /** What changes before the matrix is read: a pod label, as `kubectl label pod`. */
  label?: { namespace: string; pod: string; key: string; value: string };
  /** Directory of expect.json, relative to the walkthrough fixtures. */
  expect: string;
  caption: string;
}

export interface State {
  id: string;
  title: string;
  /** The sample profile that produces this state, relative to the repository; none for the baseline. */
  sample?: string;
  steps: Step[];
}

export const FIXTURES_DIR = "test/fixtures/walkthrough";
export const SAMPLES_DIR = "deploy/samples/walkthrough";
/** The walkthrough's namespaces, in the order the grid shows them. */
export const NAMESPACES = ["dev", "test"] as const;

export const STATES: readonly State[] = [
  { id: "s1", title: "baseline: no policy", steps: [{ expect: "s1-baseline", caption: "every pod reaches every pod, across namespaces" }] },
  {
    id: "s2",
    title: "dev refuses incoming traffic",
    sample: `${SAMPLES_DIR}/s2-deny-ingress.yaml`,
    steps: [{ expect: "s2-deny-ingress", caption: "dev can reach test; nothing reaches dev" }],
  },
  {
    id: "s3",
    title: "dev refuses incoming and outgoing traffic",
    sample: `${SAMPLES_DIR}/s3-deny-all.yaml`,
    steps: [{ expect: "s3-deny-all", caption: "dev is cut off both ways" }],
  },
  {
    id: "s4",
    title: "nginx1 accepts 10.3.0.0/16 except nginx2's address",
    sample: `${SAMPLES_DIR}/s4-ipblock-except.yaml`,
    steps: [{ expect: "s4-ipblock-except", caption: "everyone but nginx2 reaches nginx1; nginx1 sends nothing" }],
  },
  {
    id: "s5",
    title: "only pods labelled access_nginx1=true reach nginx1",
    sample: `${SAMPLES_DIR}/s5-same-namespace-label.yaml`,
    steps: [
      { expect: "s5-same-namespace-label", caption: "nobody reaches nginx1 yet" },
      {
        label: { namespace: "dev", pod: "nginx3", key: "access_nginx1", value: "true" },
        expect: "s5-same-namespace-label/after-labeling-nginx3",
        caption: "after labelling nginx3, nginx3 reaches nginx1",
      },
    ],
  },
];

export async function loadProbes(root: string, step: Step): Promise<Probe[]> {
  const text = await readFile(join(root, FIXTURES_DIR, step.expect, "expect.json"), "utf8");
  return (JSON.parse(text) as { probes: Probe[] }).probes;
}

export interface Comparison {
  /** Probes of this protocol found in the matrix with the expected verdict. */
  matched: number;
  total: number;
  /** "test/nginx2 → dev/nginx1: expected denied, got allowed" */
  mismatches: string[];
}

/** Compares matrix cells of one protocol with the walkthrough's probes of that protocol. */
export function compare(cells: readonly MatrixCell[], probes: readonly Probe[], protocol: Probe["protocol"]): Comparison {
  const byPair = new Map(cells.filter((c) => c.protocol === protocol).map((c) => [`${c.from} ${c.to}`, c.allowed]));
  const wanted = probes.filter((p) => p.protocol === protocol);
  const mismatches: string[] = [];
  const verdict = (allowed: boolean | undefined) => (allowed === undefined ? "no such pair" : allowed ? "allowed" : "denied");
  for (const probe of wanted) {
    const got = byPair.get(`${probe.from} ${probe.to}`);
    if (got !== probe.allowed) mismatches.push(`${probe.from} → ${probe.to}: expected ${verdict(probe.allowed)}, got ${verdict(got)}`);
  }
  return { matched: wanted.length - mismatches.length, total: wanted.length, mismatches };
}
