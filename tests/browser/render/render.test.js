// Browser tests of `kiln render` SVGs: headless Debian Chromium driven by playwright-core.
// usage: node render.test.js PATH/TO/kiln
"use strict";
const { chromium } = require("playwright-core");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const kiln = process.argv[2];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-browser-render-"));

// A profile whose numbers are easy to check by hand: 100 samples in total.
const FOLDED = [
  "app;main;parse;lex 30",
  "app;main;parse 10",
  "app;main;eval;lookup_[k] 40",
  "app;main;eval 15",
  "app;idle 5",
].join("\n") + "\n";

function render(name, folded, args = []) {
  const input = path.join(work, name + ".folded");
  const output = path.join(work, name + ".svg");
  fs.writeFileSync(input, folded);
  execFileSync(kiln, ["render", input, "-o", output, ...args]);
  return output;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

async function open(context, file, hash = "") {
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  await page.goto("file://" + file + hash);
  await page.waitForSelector("svg[data-ready='1']");
  return page;
}

// The element (in #zoom if zoomed, else #frames) of the frame with this name.
async function frameRect(page, name, layer = "frames") {
  const handle = await page.evaluateHandle(([name, layer]) => {
    const names = document.getElementById("kiln-names").textContent.split("\n");
    for (const r of document.querySelectorAll("#" + layer + " rect:not(.narrow)")) {
      const i = r.kilnIndex;
      const lines = document.getElementById("kiln-data").textContent.split("\n");
      if (names[+lines[i].split("\t")[1]] === name) return r;
    }
    return null;
  }, [name, layer]);
  const el = handle.asElement();
  assert.ok(el, `no ${layer} frame named ${name}`);
  return el;
}

async function hover(page, el) {
  const box = await el.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
}

async function tooltip(page) {
  return page.$$eval("#tip tspan", (spans) => spans.map((s) => s.textContent));
}

async function attr(el, name) {
  return parseFloat(await el.getAttribute(name));
}

test("hover shows name, count with its unit and share of the total", async (context) => {
  const page = await open(context, render("hover", FOLDED));
  await hover(page, await frameRect(page, "parse"));
  assert.deepEqual(await tooltip(page), ["parse", "40 samples (40.00%)"]);
  assert.equal(await page.textContent("#details"), "parse (40 samples (40.00%))");
  // Kernel annotation: kept in the tooltip, hidden from the label.
  await hover(page, await frameRect(page, "lookup_[k]"));
  assert.deepEqual(await tooltip(page), ["lookup_[k]", "40 samples (40.00%)"]);
  const labels = await page.$$eval("#frames text", (ts) => ts.map((t) => t.textContent));
  assert.ok(labels.includes("lookup"), labels.join(","));
  assert.ok(!labels.some((l) => l.includes("_[k]")));
  // --countname and --factor change the unit and the count shown.
  const us = await open(context, render("us", FOLDED, ["--countname", "us", "--factor", "1000"]));
  await hover(us, await frameRect(us, "eval"));
  assert.deepEqual(await tooltip(us), ["eval", "55,000 us (55.00%)"]);
});

test("click zooms: the frame fills the width, ancestors fade, others go; reset and Escape", async (context) => {
  const page = await open(context, render("zoom", FOLDED));
  const full = await attr(await frameRect(page, "app"), "width");
  assert.equal(full, 1180);
  await (await frameRect(page, "eval")).click();
  const evalZoomed = await frameRect(page, "eval", "zoom");
  assert.equal(await attr(evalZoomed, "width"), 1180);
  // lookup is 40 of eval's 55 samples.
  assert.ok(Math.abs((await attr(await frameRect(page, "lookup_[k]", "zoom"), "width")) - (1180 * 40) / 55) < 0.01);
  assert.equal(await (await frameRect(page, "main", "zoom")).getAttribute("class"), "faded");
  const zoomedNames = await page.$$eval("#zoom rect", (rs) => rs.length);
  assert.equal(zoomedNames, 5);  // all, app, main (faded), eval, lookup: not parse, lex, idle
  assert.match(page.url(), /#zoom=\d+/);
  // Hovering while zoomed also gives the share of the zoomed frame.
  await hover(page, await frameRect(page, "lookup_[k]", "zoom"));
  assert.deepEqual(await tooltip(page), ["lookup_[k]", "40 samples (40.00%), 72.73% of the zoomed frame"]);
  assert.ok(!(await page.$eval("#unzoom", (e) => e.classList.contains("hide"))));
  await page.click("#unzoom");
  assert.equal(await page.$$eval("#zoom rect", (rs) => rs.length), 0);
  assert.equal(await page.$eval("#frames", (g) => g.getAttribute("transform")), null);
  assert.ok(!page.url().includes("zoom="));
  await (await frameRect(page, "parse")).click();
  assert.equal(await attr(await frameRect(page, "lex", "zoom"), "width"), 1180 * 30 / 40);
  await page.keyboard.press("Escape");
  assert.equal(await page.$$eval("#zoom rect", (rs) => rs.length), 0);
});

test("search highlights matches; Matched counts nested matches once, relative to the zoom", async (context) => {
  const page = await open(context, render("search", FOLDED));
  page.once("dialog", (d) => d.accept("^(parse|lex)$"));
  await page.keyboard.press("Control+f");
  await page.waitForFunction(() => document.getElementById("matched").textContent !== " ");
  // lex (30) is inside parse (40): 40%, not 70%.
  assert.equal(await page.textContent("#matched"), "Matched: 40.00%");
  assert.equal(await (await frameRect(page, "lex")).getAttribute("fill"), "#e600e6");
  assert.notEqual(await (await frameRect(page, "eval")).getAttribute("fill"), "#e600e6");
  assert.match(page.url(), /s=%5E\(parse%7Clex\)%24/);
  // Zoomed into eval, a search for lookup matches 40 of its 55 samples.
  await (await frameRect(page, "eval")).click();
  page.once("dialog", (d) => d.accept("lookup"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent.includes("72"));
  assert.equal(await page.textContent("#matched"), "Matched: 72.73%");
  assert.equal(await (await frameRect(page, "lookup_[k]", "zoom")).getAttribute("fill"), "#e600e6");
  // Case: PARSE matches nothing until "ignore case" is on.
  page.once("dialog", (d) => d.accept("PARSE"));
  await page.keyboard.press("Escape");  // leave the zoom first
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent === "Matched: 0.00%");
  await page.click("#ignorecase");
  assert.equal(await page.textContent("#matched"), "Matched: 40.00%");
  assert.match(page.url(), /i=1/);
  // An invalid expression is reported, not thrown.
  page.once("dialog", (d) => d.accept("(unclosed"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent.startsWith("Invalid"));
  assert.equal(await page.textContent("#matched"), "Invalid regular expression: (unclosed");
  page.once("dialog", (d) => d.accept("PARSE"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent === "Matched: 40.00%");
  // Clearing restores the colors.
  await page.click("#clear");
  assert.equal(await page.textContent("#matched"), " ");
  assert.notEqual(await (await frameRect(page, "parse")).getAttribute("fill"), "#e600e6");
});

test("a link with zoom and search reopens the same view", async (context) => {
  const file = render("url", FOLDED);
  const first = await open(context, file);
  await (await frameRect(first, "eval")).click();
  first.once("dialog", (d) => d.accept("lookup"));
  await first.click("#search");
  await first.waitForFunction(() => document.getElementById("matched").textContent !== " ");
  const url = first.url();
  const second = await context.newPage();
  await second.goto(url);
  await second.waitForSelector("svg[data-ready='1']");
  assert.equal(await attr(await frameRect(second, "eval", "zoom"), "width"), 1180);
  assert.equal(await second.textContent("#matched"), "Matched: 72.73%");
  await second.reload();
  await second.waitForSelector("svg[data-ready='1']");
  assert.equal(await second.textContent("#matched"), "Matched: 72.73%");
});

test("frames under 1 px are not elements but appear when a zoom widens them", async (context) => {
  // mid is 10 of 10010 samples (1.18 px): an element; small is 5 (0.59 px): data only.
  const page = await open(context, render("hairline", "app;big 10000\napp;mid;small 5\napp;mid;other 5\n"));
  const names = await page.evaluate(() => {
    const names = document.getElementById("kiln-names").textContent.split("\n");
    const lines = document.getElementById("kiln-data").textContent.split("\n");
    return [...document.querySelectorAll("#frames rect")].map((r) => names[+lines[r.kilnIndex].split("\t")[1]]);
  });
  assert.ok(names.includes("mid") && !names.includes("small"), names.join(","));
  page.once("dialog", (d) => d.accept("^small$"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent !== " ");
  assert.equal(await page.textContent("#matched"), "Matched: 0.05%");  // 5 of 10010, still counted
  await page.evaluate(() => {
    const lines = document.getElementById("kiln-data").textContent.split("\n");
    const names = document.getElementById("kiln-names").textContent.split("\n");
    for (const r of document.querySelectorAll("#frames rect")) {
      if (names[+lines[r.kilnIndex].split("\t")[1]] === "mid") r.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }
  });
  const small = await frameRect(page, "small", "zoom");
  assert.equal(await attr(small, "width"), 590);
  assert.equal(await small.getAttribute("fill"), "#e600e6");
  assert.equal(await page.textContent("#matched"), "Matched: 50.00%");
});

test("frames too narrow to draw: searches count them, a grey box and the tooltips say where", async (context) => {
  // 80% in main;wide, 20% spread over 20,000 callers of memcpy (0.06 px each).
  let folded = "main;wide 80000\n";
  for (let i = 0; i < 20000; i++) folded += `main;caller_${String(i).padStart(5, "0")};memcpy 1\n`;
  const page = await open(context, render("narrow", folded));
  page.once("dialog", (d) => d.accept("memcpy"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent !== " ");
  assert.equal(await page.textContent("#matched"), "Matched: 20.00% (20.00% in frames too narrow to draw)");
  // Several names: their narrow weights may overlap, so the share is an upper bound.
  page.once("dialog", (d) => d.accept("^(memcpy|caller_00001)$"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent.includes("at most"));
  assert.equal(await page.textContent("#matched"),
    "Matched: at most 20.00% (at most 20.00% in frames too narrow to draw)");
  page.once("dialog", (d) => d.accept("wide"));
  await page.click("#search");
  await page.waitForFunction(() => document.getElementById("matched").textContent === "Matched: 80.00%");
  // main's 20% are not self time: its tooltip and a grey box say they are in narrow frames.
  await hover(page, await frameRect(page, "main"));
  assert.deepEqual(await tooltip(page),
    ["main", "100,000 samples (100.00%)", "20,000 samples (20.00%) in 20,000 frames too narrow to draw"]);
  const box = await page.$("#frames rect.narrow");
  assert.ok(box, "no box for the narrow frames");
  assert.equal(await attr(box, "width"), 236);  // 20% of 1180 px, right of wide
  assert.equal(await attr(box, "x"), 10 + 944);
  const labels = await page.$$eval("#frames text", (ts) => ts.map((t) => t.textContent));
  assert.ok(labels.includes("[20,000 narrow frames]"), labels.join(","));
  await hover(page, box);
  assert.deepEqual(await tooltip(page),
    ["[20,000 narrow frames]", "20,000 samples (20.00%)", "frames under 0.1 px each, not drawn; searches count them"]);
  // Zoomed into main, the box is drawn again at its share of main.
  await (await frameRect(page, "main")).click();
  const zoomedBox = await page.$("#zoom rect[fill='#bcbcbc']");
  assert.ok(zoomedBox, "no narrow box in the zoomed view");
  assert.equal(await attr(zoomedBox, "width"), 236);
});

test("icicle: root on top, zoom and tooltip work the same", async (context) => {
  const page = await open(context, render("icicle", FOLDED, ["--icicle"]));
  assert.equal(await page.textContent("#title"), "Icicle Graph");
  const root = await attr(await frameRect(page, "all"), "y");
  const app = await attr(await frameRect(page, "app"), "y");
  const lex = await attr(await frameRect(page, "lex"), "y");
  assert.ok(root < app && app < lex, `${root} ${app} ${lex}`);
  await (await frameRect(page, "parse")).click();
  const parse = await frameRect(page, "parse", "zoom");
  const lexZoomed = await frameRect(page, "lex", "zoom");
  assert.ok((await attr(parse, "y")) < (await attr(lexZoomed, "y")));
  assert.equal(await attr(lexZoomed, "width"), 1180 * 30 / 40);
  await hover(page, lexZoomed);
  assert.equal((await tooltip(page))[0], "lex");
});

test("flame chart keeps time order; long labels are cut with ..", async (context) => {
  const long = "std::__detail::_Executor<const char*, std::allocator<std::__cxx11::sub_match>>::_M_dfs";
  const page = await open(context, render("chart", `t;a 1\nt;b 1\nt;a 1\nt;${long} 1\n`, ["--flamechart", "--width", "600"]));
  assert.equal(await page.textContent("#title"), "Flame Chart");
  const xs = await page.evaluate(() => {
    const names = document.getElementById("kiln-names").textContent.split("\n");
    const lines = document.getElementById("kiln-data").textContent.split("\n");
    return [...document.querySelectorAll("#frames rect")]
      .filter((r) => lines[r.kilnIndex].split("\t")[0] === "2")
      .map((r) => [names[+lines[r.kilnIndex].split("\t")[1]], +r.getAttribute("x")]);
  });
  assert.deepEqual(xs.map((p) => p[0]), ["a", "b", "a", long]);
  assert.ok(xs[0][1] < xs[1][1] && xs[1][1] < xs[2][1]);
  const labels = await page.$$eval("#frames text", (ts) => ts.map((t) => t.textContent));
  const cut = labels.find((l) => l.startsWith("std::__detail"));
  assert.ok(cut && cut.endsWith("..") && cut.length < long.length, String(cut));
  const rect = await frameRect(page, long);
  assert.ok(cut.length * 12 * 0.6 <= (await attr(rect, "width")), "label wider than its frame");
});

test("an empty recording opens, says it is empty and answers a hover without NaN", async (context) => {
  const page = await open(context, render("empty", "# measured: cpu\n# countname: samples\n"));
  assert.equal(await page.textContent("#empty"), "Empty profile: nothing was recorded (0 samples)");
  await hover(page, await frameRect(page, "all"));
  const tip = (await tooltip(page)).join(" ");
  assert.ok(tip.startsWith("all 0 samples") && !tip.includes("NaN"), tip);
  await (await frameRect(page, "all")).click();
  assert.ok(!(await page.textContent("svg")).includes("NaN"), "NaN in the page after a click");
  const searched = await open(context, path.join(work, "empty.svg"), "#s=all");
  const matched = await searched.textContent("#matched");
  assert.ok(!matched.includes("NaN"), matched);
});

(async () => {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1300, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let failed = 0;
  for (const { name, fn } of tests) {
    try {
      await fn(context);
      console.log("ok   " + name);
    } catch (e) {
      failed++;
      console.log("FAIL " + name + "\n" + (e.stack || e));
    }
  }
  await context.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`${tests.length - failed}/${tests.length} passed`);
  process.exit(failed ? 1 : 0);
})();
