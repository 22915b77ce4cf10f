// What the browser tests of kiln's SVGs share: Debian's Chromium launched headless through
// playwright-core, a frame's rect found by its name, and the tooltip shown when it is hovered.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('./node_modules/playwright-core');

// A headless Chromium context whose profile lives in `profileDir`.
export function launchChromium(profileDir) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The selector of the first drawn rect of the frame named `name`, found the way the script
// finds names (`n` indexes #kiln-names); null when there is none.
export function frameSelector(page, name) {
  return page.evaluate((wanted) => {
    const names = document.getElementById('kiln-names').textContent.split('\n');
    const rects = [...document.querySelectorAll('#frames rect')];
    const rect = rects.find((r) => names[Number(r.getAttribute('n'))] === wanted);
    return rect ? `#frames rect[n="${rect.getAttribute('n')}"]` : null;
  }, name);
}

// Hovers `selector` and returns the tooltip's text ('' when none is shown).
export async function hoverTooltip(page, selector) {
  await page.hover(selector);
  return page.evaluate(() => {
    const tip = document.getElementById('tip');
    return tip && !tip.classList.contains('hide') ? tip.textContent : '';
  });
}
