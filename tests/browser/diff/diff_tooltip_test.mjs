// Browser test of the differential flame graph: `kiln diff` draws before/after profiles, headless
// Chromium loads the SVG, the mouse hovers a frame, and the tooltip must give the frame's name,
// both weights and shares, and the change in points of its total and self share.
// Usage: node diff_tooltip_test.mjs KILN DATA_DIR
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameSelector, hoverTooltip, launchChromium } from '../svg_page.mjs';

const [kiln, data] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'kiln-diff-browser-'));
let failures = 0;
function check(condition, message) {
  if (!condition) {
    failures++;
    console.error(`FAIL: ${message}`);
  }
}

const svg = join(work, 'diff.svg');
execFileSync(kiln, ['diff', join(data, 'before.folded'), join(data, 'after.folded'), '-o', svg],
             { stdio: ['ignore', 'ignore', 'inherit'] });

const context = await launchChromium(join(work, 'profile'));
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto('file://' + svg);


  // tests/data/diff: tokenize 2000 of 10000 samples before (20%), 3000 of 11000 after (27.27%).
  const tokenize = await frameSelector(page, 'tokenize');
  check(tokenize, 'no frame named tokenize in the graph');
  if (tokenize) {
    const tip = await hoverTooltip(page, tokenize);
    check(tip.includes('tokenize'), `tooltip does not name the frame: "${tip}"`);
    check(tip.includes('before 2000 samples (20.00%), self 2000 (20.00%)'),
          `tooltip lacks the before weight and shares: "${tip}"`);
    check(tip.includes('after 3000 samples (27.27%), self 3000 (27.27%)'),
          `tooltip lacks the after weight and shares: "${tip}"`);
    check(tip.includes('change: total +7.27 points, self +7.27 points'),
          `tooltip lacks the change in points: "${tip}"`);
    const fill = await page.getAttribute(tokenize, 'fill');
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
    check(r > g + 40 && r > b + 40, `tokenize grew but is not drawn red: ${fill}`);
  }

  // A frame that shrank: draw 2500/10000 = 25% -> 2400/11000 = 21.82%.
  const draw = await frameSelector(page, 'draw');
  check(draw, 'no frame named draw in the graph');
  if (draw) {
    const tip = await hoverTooltip(page, draw);
    check(tip.includes('draw') && tip.includes('change: total -3.18 points'),
          `tooltip of draw lacks its shrinkage: "${tip}"`);
  }
  // Only in BEFORE: not drawn with AFTER's widths, but with --widths before, blue, and its
  // tooltip says it is gone.
  check(!(await frameSelector(page, 'legacy')), 'legacy (only in BEFORE) is drawn with AFTER widths');
  execFileSync(kiln, ['diff', join(data, 'before.folded'), join(data, 'after.folded'),
                      '--widths', 'before', '-o', svg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await page.goto('file://' + svg);
  const legacy = await frameSelector(page, 'legacy');
  check(legacy, '--widths before does not draw legacy');
  if (legacy) {
    const tip = await hoverTooltip(page, legacy);
    check(tip.includes('legacy') &&
          tip.includes('before 200 samples (2.00%), self 200 (2.00%); after 0 samples (0.00%)') &&
          tip.includes('change: total -2.00 points, self -2.00 points'),
          `tooltip of legacy (removed) is wrong: "${tip}"`);
    const fill = await page.getAttribute(legacy, 'fill');
    const [r, , b] = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
    check(b > r + 40, `legacy shrank to nothing but is not drawn blue: ${fill}`);
  }
} finally {
  await context.close();
  rmSync(work, { recursive: true, force: true });
}
if (failures) process.exit(1);
console.log('ok: differential tooltips');
