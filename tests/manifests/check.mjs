// The agent's custom resources (ServiceMonitor, PrometheusRule) validated against the
// prometheus-operator CRDs' OpenAPI schemas, as packaged by @kubernetes-models (npm): required
// fields, types and patterns (an interval like `60s`). kubernetes-validate checks the built-in
// kinds; these two are custom resources it has no schema for. Unknown fields are not rejected by
// these schemas.
//
// Before the real files, a broken copy of each must be refused: a check that cannot fail proves
// nothing.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ServiceMonitor, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const kinds = { ServiceMonitor, PrometheusRule };

function resources(text) {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS())
    .filter((obj) => obj && kinds[obj.kind]);
}

function check(obj) {
  new kinds[obj.kind](obj).validate();
}

const files = process.argv.slice(2);
const all = files.flatMap((file) => resources(readFileSync(file, "utf8")).map((obj) => ({ file, obj })));
for (const kind of Object.keys(kinds)) {
  if (!all.some(({ obj }) => obj.kind === kind)) {
    console.error(`manifests: no ${kind} in ${files.join(", ")}`);
    process.exit(1);
  }
}

// the checker refuses what it must
const broken = [
  ["ServiceMonitor", (o) => (o.spec.endpoints[0].interval = "sixty seconds")],
  ["PrometheusRule", (o) => delete o.spec.groups[0].rules[0].expr],
];
for (const [kind, breakIt] of broken) {
  const copy = structuredClone(all.find(({ obj }) => obj.kind === kind).obj);
  breakIt(copy);
  let refused = false;
  try {
    check(copy);
  } catch {
    refused = true;
  }
  if (!refused) {
    console.error(`manifests: a broken ${kind} passed the schema check`);
    process.exit(1);
  }
}

let failed = 0;
for (const { file, obj } of all) {
  try {
    check(obj);
    console.log(`  ok    ${obj.kind} ${obj.metadata?.name} (${file.replace(/^(\.\.\/)+/, "")})`);
  } catch (error) {
    failed++;
    console.log(`  FAIL  ${obj.kind} ${obj.metadata?.name} (${file}): ${error.message}`);
  }
}
console.log(`${all.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
