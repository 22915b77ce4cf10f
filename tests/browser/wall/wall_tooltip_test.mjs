// Browser test of a wall-clock flame graph (`kiln record --wall` output, here drawn by `kiln
// render` from tests/data/wall/wall.folded): headless Chromium loads the SVG, the mouse hovers
// frames, and each tooltip must say how much of the frame's time is on-CPU, off-CPU and
// runnable; blocked frames are blue.
// Usage: node wall_tooltip_test.mjs KILN DATA_DIR
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameSelector, hoverTooltip, launchChromium } from '../svg_page.mjs';

const [kiln, data] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'kiln-wall-browser-'));
let failures = 0;
function check(condition, message) {
  if (!condition) {
    failures++;
    console.error(`FAIL: ${message}`);
  }
}

const svg = join(work, 'wall.svg');
execFileSync(kiln, ['render', join(data, 'wall.folded'), '-o', svg],
             { stdio: ['ignore', 'ignore', 'inherit'] });

const context = await launchChromium(join(work, 'profile'));
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto('file://' + svg);
  const tooltipOf = async (name) => {
    const selector = await frameSelector(page, name);
    check(selector, `no frame named ${name} in the graph`);
    if (!selector) return { tip: '', fill: '#000000' };
    const tip = await hoverTooltip(page, selector);
    return { tip, fill: await page.getAttribute(selector, 'fill') };
  };
  const rgb = (fill) => [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));

  // main: 0.6 s computing, 0.1 s waiting for a CPU, 0.3 s blocked, of 1 s.
  const main = await tooltipOf('main');
  check(main.tip.includes('on-CPU 0.600 s (60.0%), off-CPU 0.300 s (30.0%), runnable 0.100 s (10.0%)'),
        `main's tooltip lacks its split: "${main.tip}"`);
  const [mr, , mb] = rgb(main.fill);
  check(mr > mb, `main (mostly on-CPU) is not drawn in the CPU palette: ${main.fill}`);

  // wait: all off-CPU, blue.
  const wait = await tooltipOf('wait');
  check(wait.tip.includes('on-CPU 0.000 s (0.0%), off-CPU 0.300 s (100.0%)'),
        `wait's tooltip does not say it is off-CPU: "${wait.tip}"`);
  const [wr, , wb] = rgb(wait.fill);
  check(wb > wr, `wait (all off-CPU) is not blue: ${wait.fill}`);

  // compute: all on-CPU.
  const compute = await tooltipOf('compute');
  check(compute.tip.includes('on-CPU 0.600 s (100.0%), off-CPU 0.000 s (0.0%)'),
        `compute's tooltip does not say it is on-CPU: "${compute.tip}"`);

  // The state frames name what the thread waited for.
  const sleeping = await tooltipOf('[off-cpu: S]');
  check(sleeping.tip.includes('off-CPU 0.250 s (100.0%)'), `[off-cpu: S]: "${sleeping.tip}"`);
  const runnable = await tooltipOf('[runnable]');
  check(runnable.tip.includes('runnable 0.100 s (100.0%)'), `[runnable]: "${runnable.tip}"`);
  check(runnable.fill !== wait.fill, 'runnable time is drawn like blocked time');
} finally {
  await context.close();
  rmSync(work, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('ok: wall-clock tooltips give each frame\'s on-CPU, off-CPU and runnable time');
