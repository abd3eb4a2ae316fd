// pulldoctor's HTML report in a real browser: Debian's chromium, headless, through
// playwright-core. For the seed incident and several scenarios: what the drawing shows (the
// broken hop, the subnets behind it, how many boxes and paths), that the page makes no request
// at all, that it passes axe-core's accessibility rules in light and dark, that it fits a phone
// and prints, and that a copy button copies its command. Screenshots go to $SCREENSHOTS (default
// target/browser-screenshots); DOCS_SCREENSHOTS=1 also refreshes docs/html-report*.png.
//
// The reports are made by the pulldoctor binary named by $PULLDOCTOR (default: the debug build).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { launch, open } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const binary = process.env.PULLDOCTOR || join(root, "target/debug/pulldoctor");
const shots = process.env.SCREENSHOTS || join(root, "target/browser-screenshots");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const SEED = "examples/rosa-ecr-main-route-table";
const bundles = {
  seed: SEED,
  fixed: "examples/rosa-ecr-main-route-table-fixed",
  "endpoint-sg": "fixtures/scenarios/net-endpoint-sg-denied/bundle",
  "nat-no-internet": "fixtures/scenarios/net-nat-no-internet-route/bundle",
  tgw: "fixtures/scenarios/net-path-leaves-scope-tgw/bundle",
  "nacl-return": "fixtures/scenarios/net-nacl-return-denied/bundle",
  "secret-expired": "fixtures/scenarios/access-pullsecret-expired/bundle",
};

let browser;
let work;
const reports = {};

before(async () => {
  work = mkdtempSync(join(tmpdir(), "pulldoctor-html-"));
  mkdirSync(shots, { recursive: true });
  for (const [name, bundle] of Object.entries(bundles)) {
    const file = join(work, `${name}.html`);
    try {
      execFileSync(binary, ["diagnose", join(root, bundle), "-o", file], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      // exit 1: failures diagnosed, the report is written all the same
      if (error.status !== 1) throw error;
    }
    assert.ok(statSync(file).size > 1000, `${name}: no report written`);
    reports[name] = file;
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/// Opens a report and checks, whatever else the test does, that it asked for nothing.
async function page(name, options) {
  const opened = await open(browser.context, reports[name], options);
  opened.done = async () => {
    assert.deepEqual(opened.requests, [], `${name}: the page made requests`);
    assert.deepEqual(opened.errors, [], `${name}: the page logged errors`);
    const loaded = await opened.page.evaluate(() => performance.getEntriesByType("resource").length);
    assert.equal(loaded, 0, `${name}: the page loaded resources`);
    await opened.page.close();
  };
  return opened;
}

/// What the drawing shows: each box's column, status, ids and subnets; the arrows; the counts.
async function drawing(p) {
  return p.evaluate(() => {
    const svg = document.querySelector("svg.topology");
    if (!svg) return null;
    const boxes = [...svg.querySelectorAll("g.box")].map((g) => ({
      column: g.dataset.column, kind: g.dataset.kind, status: g.dataset.status,
      ids: g.dataset.ids.split(" ").filter(Boolean), subnets: g.dataset.subnets.split(" ").filter(Boolean),
      main: g.dataset.main === "true", text: g.textContent,
    }));
    const edges = [...svg.querySelectorAll("path.edge")].map((e) => ({ from: e.dataset.from, to: e.dataset.to, status: e.dataset.status }));
    const box = svg.getBoundingClientRect();
    return { paths: Number(svg.dataset.paths), boxes, edges, width: box.width, height: box.height };
  });
}

const count = (d, column, status) => d.boxes.filter((b) => b.column === column && (!status || b.status === status)).length;

async function accessible(p, name) {
  await p.evaluate(axeSource);
  const result = await p.evaluate(() =>
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
  const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  assert.ok(result.passes.some((r) => r.id === "color-contrast"), "the contrast rule ran");
  assert.ok(result.passes.some((r) => r.id === "heading-order"), "the heading rule ran");
}

test("the seed: the main route table is the red hop, with the three subnets behind it", async () => {
  const p = await page("seed");
  const d = await drawing(p.page);
  const red = d.boxes.filter((b) => b.status === "broken");
  assert.equal(red.length, 1, JSON.stringify(red));
  assert.equal(red[0].column, "route-table");
  assert.deepEqual(red[0].ids, ["rtb-04d162c9e2b6a4cbd"]);
  assert.equal(red[0].main, true);
  assert.deepEqual(red[0].subnets, ["subnet-0591e7f615056cdc1", "subnet-0b0f98778e7c55bce", "subnet-0c104627900ff8d78"]);
  assert.match(red[0].text, /main route table/);
  assert.match(red[0].text, /route\.no-route: routes: 10\.0\.0\.0\/16 -> local/);
  // counts: 3 subnets, 1 route table, no gateway, 3 hosts; 7 node-to-host paths
  assert.deepEqual([count(d, "source"), count(d, "route-table"), count(d, "egress"), count(d, "destination")], [3, 1, 0, 3]);
  assert.equal(d.paths, 7);
  const intoRed = d.edges.filter((e) => e.to === "rtb:rtb-04d162c9e2b6a4cbd");
  assert.equal(intoRed.length, 3);
  assert.ok(intoRed.every((e) => e.status === "broken"));
  assert.ok(d.edges.filter((e) => e.from === "rtb:rtb-04d162c9e2b6a4cbd").every((e) => e.status === "not-reached"));
  // the red hop is drawn red
  const colour = await p.page.evaluate(() => getComputedStyle(document.querySelector("g.box.st-broken rect")).stroke);
  assert.equal(colour, "rgb(180, 35, 24)");
  // headline and fix first
  const first = await p.page.evaluate(() => [...document.querySelectorAll("main h2")].map((h) => h.textContent));
  assert.deepEqual(first.slice(0, 2), ["The fix", "What a pull crosses"]);
  assert.match(await p.page.textContent("#fix"), /aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd/);
  await p.page.screenshot({ path: join(shots, "seed.png"), fullPage: true });
  await p.page.locator(".figure").screenshot({ path: join(shots, "seed-topology.png") });
  if (process.env.DOCS_SCREENSHOTS) {
    await p.page.setViewportSize({ width: 1280, height: 900 });
    await p.page.screenshot({ path: join(root, "docs/html-report.png"), clip: { x: 0, y: 0, width: 1280, height: 1500 }, fullPage: true });
    await p.page.locator(".figure").screenshot({ path: join(root, "docs/html-report-topology.png") });
  }
  await p.done();
});

test("the seed passes the accessibility check, light and dark", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const p = await page("seed", { colorScheme });
    await accessible(p.page, `seed (${colorScheme})`);
    if (colorScheme === "dark") {
      const background = await p.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(background, "rgb(13, 17, 23)");
      await p.page.screenshot({ path: join(shots, "seed-dark.png"), fullPage: true });
    }
    await p.done();
  }
});

test("every scenario's page is accessible and asks for nothing", async () => {
  for (const name of Object.keys(bundles)) {
    const p = await page(name);
    await accessible(p.page, name);
    await p.done();
  }
});

test("scenarios: the broken, working and unknown hops where the paths say", async () => {
  const expect = {
    "endpoint-sg": { broken: { egress: 2 }, working: { egress: 1, destination: 1 }, paths: 6 },
    "nat-no-internet": { broken: { egress: 1 }, working: {}, paths: 6 },
    tgw: { broken: {}, working: {}, unknown: { egress: 1, destination: 3 }, paths: 6 },
    "nacl-return": { broken: { source: 2 }, working: {}, paths: 6 },
  };
  for (const [name, e] of Object.entries(expect)) {
    const p = await page(name);
    const d = await drawing(p.page);
    assert.equal(d.paths, e.paths, `${name}: paths`);
    for (const column of ["source", "route-table", "egress", "destination"]) {
      assert.equal(count(d, column, "broken"), e.broken[column] || 0, `${name}: broken ${column}`);
      if (e.unknown) assert.equal(count(d, column, "unknown"), e.unknown[column] || 0, `${name}: unknown ${column}`);
      if (e.working[column]) assert.equal(count(d, column, "working"), e.working[column], `${name}: working ${column}`);
    }
    // every red box says which rule breaks it
    for (const box of d.boxes.filter((b) => b.status === "broken")) assert.match(box.text, /✗ [a-z0-9-]+\.[a-z0-9.-]+:/, name);
    await p.page.locator(".figure").screenshot({ path: join(shots, `${name}-topology.png`) });
    await p.done();
  }
  const fixed = await page("fixed");
  assert.equal(await drawing(fixed.page), null);
  assert.match(await fixed.page.textContent("#topology"), /No pod fails to pull/);
  await fixed.done();
  const secret = await page("secret-expired");
  assert.match(await secret.page.textContent("#causes"), /pullsecret/);
  await secret.done();
});

test("on a phone: the page fits, the drawing scrolls inside its frame", async () => {
  const p = await page("seed", { viewport: { width: 390, height: 844 } });
  const widths = await p.page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    figure: document.querySelector(".figure").clientWidth,
    drawing: document.querySelector(".figure svg").getBoundingClientRect().width,
  }));
  assert.ok(widths.page <= 390, `the page is ${widths.page}px wide on a 390px screen`);
  assert.ok(widths.drawing > widths.figure, "the drawing keeps a legible size and scrolls");
  await p.page.screenshot({ path: join(shots, "seed-phone.png"), fullPage: true });
  await p.done();
});

test("printed: no buttons, folded paths open, a PDF comes out", async () => {
  const p = await page("seed");
  await p.page.emulateMedia({ media: "print" });
  assert.equal(await p.page.locator("button.copy").first().isVisible(), false);
  const pdf = join(shots, "seed.pdf");
  await p.page.pdf({ path: pdf, format: "A4", printBackground: true });
  assert.ok(statSync(pdf).size > 20000);
  await p.done();
});

test("a copy button copies its command", async () => {
  const opened = await open(browser.context, reports.seed);
  await opened.page.evaluate(() => {
    window.copied = [];
    navigator.clipboard.writeText = (text) => { window.copied.push(text); return Promise.resolve(); };
  });
  const command = opened.page.locator("#fix .command").first();
  await command.locator("button.copy").click();
  const copied = await opened.page.evaluate(() => window.copied);
  assert.deepEqual(copied, [await command.locator("pre").textContent()]);
  assert.match(copied[0], /^aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd .* --dry-run$/);
  assert.equal(await command.locator("button.copy").textContent(), "Copied");
  await opened.page.locator("button[data-copy-all='plan-commands-1']").click();
  const all = await opened.page.evaluate(() => window.copied[1]);
  assert.ok(all.split("\n").length >= 4 && all.includes("associate-route-table"), all);
  assert.deepEqual(opened.requests, []);
  await opened.page.close();
});
