/**
 * The Helm chart (deploy/helm/netfence) through the real helm binary: lint,
 * template with default and HA values, what each value turns into, the CRD it
 * ships, the RBAC it grants, and the schema refusing bad values.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { isMap, isScalar, parse, parseDocument } from "yaml";
import { CHART, find, helm, helmBinary, renderChart, ROOT, type K8sObject } from "./helm.js";
import type { Rule } from "./rbac.js";

interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  enableServiceLinks: boolean;
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: unknown;
}
interface Deployment extends K8sObject {
  spec: { replicas: number; strategy?: { type: string }; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}

const HA_VALUES = { replicas: 3 };

function deployment(objects: K8sObject[]): Deployment {
  return find(objects, "Deployment") as Deployment;
}
function container(objects: K8sObject[]): Container {
  const c = deployment(objects).spec.template.spec.containers[0];
  if (!c) throw new Error("no container");
  return c;
}
function flag(c: Container, name: string): string | true | undefined {
  const arg = c.args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : true;
}
function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

beforeAll(() => {
  helmBinary(); // builds helm from Go modules on the first run ever (minutes), cached afterwards
}, 900_000);

describe("helm lint", () => {
  it.each([
    ["default values", []],
    ["HA values (3 replicas)", ["--set", "replicas=3"]],
    ["a ServiceMonitor and every optional field", ["--set", "metrics.serviceMonitor.enabled=true", "--set", "image.digest=sha256:" + "a".repeat(64), "--set", "profileSelector=tier=canary", "--set", "namespace.create=true"]],
  ])("passes --strict with %s", (_name, flags) => {
    const r = helm(["lint", "--strict", CHART, "--namespace", "netfence-system", ...flags]);
    expect(`${r.stdout}${r.stderr}`).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.status).toBe(0);
  });
});

describe("helm template with default values", () => {
  const objects = renderChart();

  it("renders exactly the operator's objects, the CRD included and no Namespace or ServiceMonitor", () => {
    expect(kinds(objects)).toEqual([
      "ClusterRole/netfence",
      "ClusterRoleBinding/netfence",
      "CustomResourceDefinition/isolationprofiles.netfence.io",
      "Deployment/netfence",
      "Role/netfence-events",
      "Role/netfence-leader-election",
      "RoleBinding/netfence-events",
      "RoleBinding/netfence-leader-election",
      "Service/netfence-metrics",
      "ServiceAccount/netfence",
    ]);
  });

  it("labels every object the standard way", () => {
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "netfence",
        "app.kubernetes.io/instance": "netfence",
        "app.kubernetes.io/version": "0.1.0",
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": "netfence-0.1.0",
      });
    }
  });

  it("puts namespaced objects in the release namespace, and the events Role in default", () => {
    for (const o of objects.filter((x) => !["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"].includes(x.kind))) {
      expect(o.metadata.namespace).toBe(o.metadata.name === "netfence-events" ? "default" : "netfence-system");
    }
  });

  it("runs one replica without leader election, stopping the old pod before the new one starts", () => {
    const d = deployment(objects);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
    expect(flag(container(objects), "leader-elect")).toBeUndefined();
  });

  it("passes every operator flag its default", () => {
    expect(container(objects).args).toEqual([
      "run",
      "--namespace=$(POD_NAMESPACE)",
      "--log-level=info",
      "--metrics-addr=:8080",
      "--health-addr=:8081",
      "--concurrency=4",
      "--write-concurrency=32",
      "--qps=50",
      "--burst=100",
      "--resync-period=10m",
      "--pod-batch-period=1s",
      "--status-namespaces=20",
      "--dns-namespace=kube-system",
      "--dns-pod-selector=k8s-app=kube-dns",
    ]);
  });

  it("meets Pod Security restricted: non-root uid 65532, read-only root, no capabilities, RuntimeDefault seccomp", () => {
    const spec = deployment(objects).spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(container(objects).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(spec.enableServiceLinks).toBe(false);
  });

  it("probes /healthz and /readyz on the health port, exposes metrics on 8080, and reads POD_NAMESPACE from the downward API", () => {
    const c = container(objects);
    expect(c.ports).toEqual([
      { name: "metrics", containerPort: 8080, protocol: "TCP" },
      { name: "health", containerPort: 8081, protocol: "TCP" },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "health" });
    expect(c.env).toEqual([
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "NODE_OPTIONS", value: "--max-old-space-size=128" },
    ]);
  });

  it("uses the chart's appVersion as the image tag", () => {
    expect(container(objects).image).toBe("ghcr.io/netfence/netfence:0.1.0");
  });

  it("selects pods by name and instance only, so upgrades never orphan them", () => {
    expect(deployment(objects).spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "netfence", "app.kubernetes.io/instance": "netfence" });
  });

  it("passes only flags that `netfence run` accepts", () => {
    const args = container(objects).args.map((a) => a.replace("$(POD_NAMESPACE)", "netfence-system"));
    const r = spawnSync(process.execPath, [`${ROOT}bin/netfence.js`, ...args, "--help"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("helm template with HA values", () => {
  const objects = renderChart(HA_VALUES);

  it("turns leader election on and rolls pods one by one", () => {
    const d = deployment(objects);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.strategy).toBeUndefined();
    expect(flag(container(objects), "leader-elect")).toBe(true);
    expect(flag(container(objects), "lease-name")).toBe("netfence-leader");
  });

  it.each([
    ["forced off with several replicas", { replicas: 2, "leaderElection.enabled": false }, undefined],
    ["forced on with one replica", { replicas: 1, "leaderElection.enabled": true }, true],
  ])("leader election %s", (_name, set, expected) => {
    expect(flag(container(renderChart(set)), "leader-elect")).toBe(expected);
  });
});

describe("values become flags and fields", () => {
  it.each<[string, Record<string, string | number | boolean>, string, string | true]>([
    ["logLevel", { logLevel: "debug" }, "log-level", "debug"],
    ["concurrency", { concurrency: 8 }, "concurrency", "8"],
    ["writeConcurrency", { writeConcurrency: 64 }, "write-concurrency", "64"],
    ["qps", { qps: 12.5 }, "qps", "12.5"],
    ["burst", { burst: 20 }, "burst", "20"],
    ["resyncPeriod", { resyncPeriod: "1h" }, "resync-period", "1h"],
    ["profileSelector", { profileSelector: "tier=canary" }, "profile-selector", "tier=canary"],
    ["dns.namespace", { "dns.namespace": "dns" }, "dns-namespace", "dns"],
    ["dns.podSelector (sorted)", { "dns.podSelector.tier": "dns", "dns.podSelector.k8s-app": "coredns" }, "dns-pod-selector", "k8s-app=coredns,tier=dns"],
    ["metrics.port", { "metrics.port": 9090 }, "metrics-addr", ":9090"],
    ["health.port", { "health.port": 9091 }, "health-addr", ":9091"],
    ["leaderElection.leaseName", { replicas: 2, "leaderElection.leaseName": "fence" }, "lease-name", "fence"],
  ])("%s", (_name, set, name, expected) => {
    expect(flag(container(renderChart(set)), name)).toBe(expected);
  });

  it("image: repository, tag, digest and pull policy", () => {
    expect(container(renderChart({ "image.repository": "registry.example/nf", "image.tag": "v9" })).image).toBe("registry.example/nf:v9");
    const digest = `sha256:${"b".repeat(64)}`;
    const c = container(renderChart({ "image.digest": digest, "image.pullPolicy": "Always" }));
    expect(c.image).toBe(`ghcr.io/netfence/netfence@${digest}`);
    expect(c.imagePullPolicy).toBe("Always");
  });

  it("ports of the metrics Service follow metrics.port", () => {
    const svc = find(renderChart({ "metrics.port": 9090 }), "Service") as K8sObject & { spec: { ports: unknown[] } };
    expect(svc.spec.ports).toEqual([{ name: "metrics", port: 9090, targetPort: "metrics", protocol: "TCP" }]);
  });

  it.each<[string, Record<string, string | number>, string[], string | undefined]>([
    ["half of 256Mi by default", {}, [], "--max-old-space-size=128"],
    ["half of 1Gi", { "resources.limits.memory": "1Gi" }, [], "--max-old-space-size=512"],
    ["75% of 1Gi", { "resources.limits.memory": "1Gi", heapPercentOfLimit: 75 }, [], "--max-old-space-size=768"],
    ["half of 500M (decimal megabytes)", { "resources.limits.memory": "500M" }, [], "--max-old-space-size=238"],
    ["half of a limit in plain bytes", { "resources.limits.memory": 536870912 }, [], "--max-old-space-size=256"],
    ["nothing with the percentage 0", { heapPercentOfLimit: 0 }, [], undefined],
    ["nothing without a memory limit", {}, ["--set", "resources.limits.memory=null"], undefined],
  ])("caps V8's heap from the memory limit: %s", (_name, set, extra, expected) => {
    expect(container(renderChart(set, extra)).env.find((e) => e.name === "NODE_OPTIONS")?.value).toBe(expected);
  });

  it("resources, scheduling and priority reach the pod", () => {
    const objects = renderChart(
      { "resources.requests.cpu": "200m", "nodeSelector.disk": "ssd", priorityClassName: "system-cluster-critical" },
      ["--set-json", 'tolerations=[{"key":"infra","operator":"Exists","effect":"NoSchedule"}]', "--set-json", 'affinity={"nodeAffinity":{}}'],
    );
    const spec = deployment(objects).spec.template.spec as PodSpec & { priorityClassName?: string };
    expect(container(objects).resources).toEqual({ requests: { cpu: "200m", memory: "128Mi" }, limits: { memory: "256Mi" } });
    expect(spec.nodeSelector).toEqual({ disk: "ssd" });
    expect(spec.tolerations).toEqual([{ key: "infra", operator: "Exists", effect: "NoSchedule" }]);
    expect(spec.affinity).toEqual({ nodeAffinity: {} });
    expect(spec.priorityClassName).toBe("system-cluster-critical");
  });

  it("extra labels and annotations land on every object, pod labels and annotations on the pods", () => {
    const objects = renderChart({ "commonLabels.team": "platform", "commonAnnotations.owner": "sre", "podLabels.tier": "ops", "podAnnotations.scrape": "yes", "serviceAccount.annotations.iam": "role" });
    for (const o of objects) {
      expect(o.metadata.labels?.team).toBe("platform");
      expect(o.metadata.annotations?.owner).toBe("sre");
    }
    const pod = deployment(objects).spec.template.metadata;
    expect(pod.labels).toMatchObject({ tier: "ops", team: "platform" });
    expect(pod.annotations).toEqual({ scrape: "yes", owner: "sre" });
    expect(find(objects, "ServiceAccount").metadata.annotations).toEqual({ iam: "role", owner: "sre" });
  });

  it("serviceAccount.name renames the ServiceAccount and every binding's subject", () => {
    const objects = renderChart({ "serviceAccount.name": "fence-bot" });
    expect(find(objects, "ServiceAccount").metadata.name).toBe("fence-bot");
    expect(deployment(objects).spec.template.spec.serviceAccountName).toBe("fence-bot");
    for (const b of objects.filter((o) => o.kind.endsWith("Binding")) as (K8sObject & { subjects: { name: string }[] })[]) {
      expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: "fence-bot", namespace: "netfence-system" }]);
    }
  });

  it("metrics.serviceMonitor renders a ServiceMonitor scraping the metrics port", () => {
    const sm = find(renderChart({ "metrics.serviceMonitor.enabled": true, "metrics.serviceMonitor.labels.release": "prom", "metrics.serviceMonitor.scrapeTimeout": "10s" }), "ServiceMonitor") as K8sObject & { spec: unknown };
    expect(sm.metadata.labels?.release).toBe("prom");
    expect(sm.spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/name": "netfence", "app.kubernetes.io/instance": "netfence" } },
      namespaceSelector: { matchNames: ["netfence-system"] },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
    });
  });

  it("imagePullSecrets reach the pod", () => {
    const spec = deployment(renderChart({}, ["--set-json", 'imagePullSecrets=[{"name":"regcred"}]'])).spec.template.spec as PodSpec & { imagePullSecrets?: unknown };
    expect(spec.imagePullSecrets).toEqual([{ name: "regcred" }]);
  });

  it("namespace.create renders the release namespace enforcing Pod Security restricted", () => {
    const ns = find(renderChart({ "namespace.create": true }), "Namespace");
    expect(ns.metadata.name).toBe("netfence-system");
    expect(ns.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" });
  });
});

describe("the CRD ships with the chart", () => {
  const crdFile = readFileSync(`${ROOT}crds/isolationprofiles.netfence.io.yaml`, "utf8");

  it("the chart's copy is byte-for-byte crds/isolationprofiles.netfence.io.yaml (run tools/render-manifests.sh)", () => {
    expect(readFileSync(`${CHART}/files/crds/isolationprofiles.netfence.io.yaml`, "utf8")).toBe(crdFile);
  });

  it("renders the same spec as crds/, kept on uninstall by default", () => {
    const crd = find(renderChart(), "CustomResourceDefinition") as K8sObject & { spec: unknown };
    expect(crd.spec).toEqual((parse(crdFile) as { spec: unknown }).spec);
    expect(crd.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
  });

  it("crds.keep=false lets helm uninstall delete it; crds.install=false leaves it out", () => {
    expect(find(renderChart({ "crds.keep": false }), "CustomResourceDefinition").metadata.annotations).toBeUndefined();
    expect(renderChart({ "crds.install": false }).some((o) => o.kind === "CustomResourceDefinition")).toBe(false);
  });
});

// That these are exactly the verbs the operator uses is proven from the audit log by test/integration/rbac-install.test.ts.
describe("RBAC grants exactly what the operator uses", () => {
  const objects = renderChart();
  const rules = (kind: string, name: string) => (find(objects, kind, name) as K8sObject & { rules: Rule[] }).rules;

  it("ClusterRole: profiles (watch, finalizer, status), namespaces and pods list and watch, NetworkPolicies, the Admin tier, Calico's ClusterInformation", () => {
    expect(rules("ClusterRole", "netfence")).toEqual([
      { apiGroups: ["netfence.io"], resources: ["isolationprofiles"], verbs: ["list", "watch", "patch"] },
      { apiGroups: ["netfence.io"], resources: ["isolationprofiles/status"], verbs: ["patch"] },
      { apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
      { apiGroups: ["policy.networking.k8s.io"], resources: ["clusternetworkpolicies", "adminnetworkpolicies"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
      { apiGroups: ["crd.projectcalico.org"], resources: ["clusterinformations"], resourceNames: ["default"], verbs: ["get"] },
    ]);
  });

  it("Roles: leases in the release namespace, events in default", () => {
    expect(rules("Role", "netfence-leader-election")).toEqual([{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);
    expect(rules("Role", "netfence-events")).toEqual([{ apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] }]);
  });

  it("no wildcards, no secrets, no escalate, bind or impersonate anywhere", () => {
    const all = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role").flatMap((o) => (o as K8sObject & { rules: Rule[] }).rules);
    for (const r of all) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain("*");
      expect(r.resources).not.toContain("secrets");
      expect(r.verbs).not.toEqual(expect.arrayContaining(["escalate"]));
      expect(r.verbs.filter((v) => ["escalate", "bind", "impersonate"].includes(v))).toEqual([]);
    }
  });
});

describe("values.schema.json refuses bad values", () => {
  it.each<[string, string[], RegExp]>([
    ["replicas 0", ["--set", "replicas=0"], /replicas/],
    ["replicas as a word", ["--set", "replicas=two"], /replicas/],
    ["an unknown log level", ["--set", "logLevel=verbose"], /logLevel/],
    ["an unknown pull policy", ["--set", "image.pullPolicy=Sometimes"], /pullPolicy/],
    ["a misspelt top-level key", ["--set", "replica=2"], /replica/],
    ["a misspelt nested key", ["--set", "metrics.serviceMonitor.enable=true"], /enable/],
    ["a port above 65535", ["--set", "metrics.port=70000"], /port/],
    ["a zero health port", ["--set", "health.port=0"], /port/],
    ["qps 0", ["--set", "qps=0"], /qps/],
    ["concurrency 0", ["--set", "concurrency=0"], /concurrency/],
    ["a fractional burst", ["--set", "burst=1.5"], /burst/],
    ["a resync period in words", ["--set", "resyncPeriod=ten minutes"], /resyncPeriod/],
    ["a resync period of 0", ["--set-string", "resyncPeriod=0"], /resyncPeriod/],
    ["a resync period of 0s", ["--set-string", "resyncPeriod=0s"], /resyncPeriod/],
    ["an invalid DNS namespace", ["--set", "dns.namespace=Kube_System"], /namespace/],
    ["a DNS pod selector with an invalid label key", ["--set-json", 'dns.podSelector={"k8s app":"dns"}'], /podSelector/],
    ["qps as a word", ["--set", "qps=fast"], /qps/],
    ["qps as the string 0.0", ["--set", "qps=0.0"], /qps/],
    ["a digest that is not sha256", ["--set", "image.digest=md5:abc"], /digest/],
    ["leader election as a string", ["--set-string", "leaderElection.enabled=yes"], /enabled/],
    ["a label value with spaces", ["--set", "commonLabels.team=platform team"], /commonLabels/],
    ["resources with a bad quantity", ["--set", "resources.requests.cpu=lots"], /cpu/],
    ["tolerations as a map", ["--set-json", 'tolerations={"key":"x"}'], /tolerations/],
    ["a heap percentage over 90", ["--set", "heapPercentOfLimit=95"], /heapPercentOfLimit/],
    ["a fractional heap percentage", ["--set", "heapPercentOfLimit=50.5"], /heapPercentOfLimit/],
  ])("%s", (_name, flags, field) => {
    const r = helm(["template", "netfence", CHART, "--namespace", "netfence-system", ...flags]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/schema/i);
    expect(r.stderr).toMatch(field);
  });
});

describe("every value is documented and typed", () => {
  const doc = parseDocument(readFileSync(`${CHART}/values.yaml`, "utf8"));
  const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, "utf8")) as Schema;
  interface Schema {
    properties?: Record<string, Schema>;
  }
  /** Every key of values.yaml as a dotted path, with the comment written above it. */
  function keys(node: unknown, prefix: string, out: { path: string; comment: string }[] = []): { path: string; comment: string }[] {
    if (!isMap(node)) return out;
    node.items.forEach((pair, i) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const path = prefix ? `${prefix}.${key}` : key;
      // The yaml parser gives a comment above a map's first key to the map itself.
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (i === 0 ? node.commentBefore : undefined) ?? "";
      out.push({ path, comment });
      if (isMap(pair.value) && !["podSelector", "resources"].includes(key)) keys(pair.value, path, out);
    });
    return out;
  }
  const all = keys(doc.contents, "");
  const leaves = all.filter((k) => !all.some((other) => other.path.startsWith(`${k.path}.`)));

  it("values.yaml has the keys the tests expect", () => {
    expect(leaves.map((k) => k.path)).toEqual(expect.arrayContaining(["image.repository", "replicas", "metrics.serviceMonitor.enabled", "crds.keep"]));
  });

  it.each(leaves.map((k) => [k.path, k.comment]))("%s has a comment in values.yaml", (_path, comment) => {
    expect(comment.trim()).not.toBe("");
  });

  it.each(all.map((k) => [k.path]))("%s is typed in values.schema.json", (path) => {
    let node: Schema | undefined = schema;
    for (const part of path.split(".")) node = node?.properties?.[part];
    expect(node).toBeDefined();
  });

  it.each(leaves.map((k) => [k.path]))("%s is in the values table of docs/reference.md", (path) => {
    const reference = readFileSync(`${ROOT}docs/reference.md`, "utf8");
    const table = reference.slice(reference.indexOf("### Values"), reference.indexOf("### Raw manifests"));
    expect(table).toContain(`| \`${path}\` |`);
  });
});
