// Drives the sandbox Slack page in headless Chromium: the requester starts a
// cycle with /patch, the SRE clicks Approve on the cycle's message, and the
// script waits for that message to change in place. Usage:
//   node approve.mjs URL SCREENSHOT.png
// Prints one JSON line with what it saw; exits non-zero on any failure.
import { chromium } from 'playwright-core';

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('dialog', (d) => d.accept());
  await page.goto(`${url}/?user=U0REQUEST1`);
  await page.fill('#command-input', '/patch start cascade-cu');
  await page.press('#command-input', 'Enter');

  const approve = page.locator('button[data-action-id="patchgate.approve"]').first();
  await approve.waitFor({ timeout: 30000 });
  const ts = await approve.getAttribute('data-ts');
  const msg = page.locator(`.msg[data-ts="${ts}"]:not(.ephemeral)`).first();
  const before = await msg.innerText();

  await page.selectOption('#user-select', 'U0SRE00001');
  await page.locator(`button[data-action-id="patchgate.approve"][data-ts="${ts}"]`).click();
  await page.waitForFunction(
    ([ts, before]) => {
      const m = document.querySelector(`.msg[data-ts="${ts}"]:not(.ephemeral)`);
      return m && m.innerText !== before && !/nonprod\s*—\s*awaiting approval/.test(m.innerText);
    },
    [ts, before],
    { timeout: 30000 },
  );
  const after = await msg.innerText();
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ ts, before, after }));
} finally {
  await browser.close();
}
