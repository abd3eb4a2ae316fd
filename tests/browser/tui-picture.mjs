// Turns a tmux `capture-pane -e -p` screen (ANSI colours) into a PNG through chromium, for the
// README's picture of `pulldoctor tui`: `node tui-picture.mjs SCREEN.ansi OUT.png`.
// crates/pulldoctor/tests/tui_tmux.rs keeps its screens in target/tui-screens/.
import { readFileSync } from "node:fs";
import { launch } from "./browser.mjs";

const [input, output] = process.argv.slice(2);
const palette = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
  "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"];
const xterm = (n) => {
  if (n < 16) return palette[n];
  if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v},${v},${v})`; }
  const i = n - 16, c = (x) => (x ? 55 + x * 40 : 0);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
};
const escape = (t) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

let state = { fg: null, bg: null, bold: false, reverse: false, underline: false };
function sgr(codes) {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) state = { fg: null, bg: null, bold: false, reverse: false, underline: false };
    else if (c === 1) state.bold = true;
    else if (c === 22) state.bold = false;
    else if (c === 4) state.underline = true;
    else if (c === 24) state.underline = false;
    else if (c === 7) state.reverse = true;
    else if (c === 27) state.reverse = false;
    else if (c >= 30 && c <= 37) state.fg = palette[c - 30];
    else if (c >= 90 && c <= 97) state.fg = palette[c - 90 + 8];
    else if (c === 39) state.fg = null;
    else if (c >= 40 && c <= 47) state.bg = palette[c - 40];
    else if (c >= 100 && c <= 107) state.bg = palette[c - 100 + 8];
    else if (c === 49) state.bg = null;
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) { state[c === 38 ? "fg" : "bg"] = xterm(codes[i + 2]); i += 2; }
    else if ((c === 38 || c === 48) && codes[i + 1] === 2) { state[c === 38 ? "fg" : "bg"] = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`; i += 4; }
  }
}
function span(text) {
  let fg = state.fg || "#d4d4d4", bg = state.bg || "transparent";
  if (state.reverse) [fg, bg] = [bg === "transparent" ? "#1e1e1e" : bg, state.fg || "#d4d4d4"];
  const style = `color:${fg};background:${bg};${state.bold ? "font-weight:bold;" : ""}${state.underline ? "text-decoration:underline;" : ""}`;
  return `<span style="${style}">${escape(text)}</span>`;
}
let html = "";
for (const line of readFileSync(input, "utf8").split("\n")) {
  let at = 0;
  for (const match of line.matchAll(/\x1b\[([0-9;]*)m/g)) {
    if (match.index > at) html += span(line.slice(at, match.index));
    sgr(match[1] === "" ? [0] : match[1].split(";").map(Number));
    at = match.index + match[0].length;
  }
  html += span(line.slice(at)) + "\n";
}
const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#1e1e1e}pre{margin:0;padding:12px;font:14px/1.25 "DejaVu Sans Mono",monospace;color:#d4d4d4;display:inline-block}
</style></head><body><pre>${html}</pre></body></html>`;
const browser = await launch();
const tab = await browser.context.newPage();
await tab.setContent(page);
await tab.locator("pre").screenshot({ path: output });
await browser.close();
