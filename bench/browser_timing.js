// Times a kiln SVG in headless Chromium: load (navigation until the script is ready and a frame
// is painted), a zoom click on the widest frame under the root, Reset Zoom, and a search.
// usage: node browser_timing.js FILE.svg [REPEATS]   (prints one JSON line)
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const os = require("node:os");
const { chromium } = require(path.join(__dirname, "..", "tests", "browser", "node_modules", "playwright-core"));

const file = path.resolve(process.argv[2]);
const repeats = parseInt(process.argv[3] || "5", 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-bench-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1300, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const load = [], zoom = [], reset = [], search = [];
  let elements = 0, zoomElements = 0;
  for (let r = 0; r < repeats; r++) {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto("file://" + file);
    await page.waitForSelector("svg[data-ready='1']");
    await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
    load.push(Date.now() - t0);
    elements = await page.evaluate(() => document.querySelectorAll("#frames rect, #frames text").length);
    // In the page: from the click event to the second animation frame (the new view painted).
    const timed = (action) => page.evaluate((action) => new Promise((res) => {
      let target;
      if (action === "zoom") {
        const lines = document.getElementById("kiln-data").textContent.split("\n");
        let best = null, bestWeight = -1;
        for (const rect of document.querySelectorAll("#frames rect")) {
          const f = lines[rect.kilnIndex].split("\t");
          if (f[0] === "1" && +f[2] > bestWeight) { best = rect; bestWeight = +f[2]; }
        }
        target = best;
      } else {
        target = document.getElementById("unzoom");
      }
      const t = performance.now();
      target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      requestAnimationFrame(() => requestAnimationFrame(() => res(performance.now() - t)));
    }), action);
    zoom.push(await timed("zoom"));
    zoomElements = await page.evaluate(() => document.querySelectorAll("#zoom rect, #zoom text").length);
    reset.push(await timed("reset"));
    page.once("dialog", (d) => d.accept("::(read|write)|_\\[k\\]"));
    const t1 = Date.now();
    await page.click("#search");
    await page.waitForFunction(() => document.getElementById("matched").textContent.startsWith("Matched"));
    await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
    search.push(Date.now() - t1);
    await page.close();
  }
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({
    file: path.basename(file), elements, zoom_elements: zoomElements,
    load_ms: median(load), zoom_ms: Math.round(median(zoom)), reset_ms: Math.round(median(reset)),
    search_ms: median(search), load_all: load, zoom_all: zoom.map(Math.round),
  }));
})();
