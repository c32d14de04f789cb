// Screenshots of every chart of the web report at phone widths, with the layout checks of
// tests/a11y/check-layout.js: node tests/web/screenshots.js OUT_DIR SHOTS_DIR [WIDTH ...]
// serves nothing itself: it opens OUT_DIR/report.html from disk in Debian's Chromium.
"use strict";
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

async function atWidth(browser, page, url, width, shots) {
  await page.setViewport({ width, height: 900, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  await page.goto(url, { waitUntil: "load" });
  await page.addScriptTag({ path: path.join(__dirname, "..", "a11y", "check-layout.js") });
  const result = await page.evaluate(() => window.ohmskLayout());
  console.error(JSON.stringify(result));
  const dir = path.join(shots, String(width));
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, "_top.png") });
  // each figure scrolled to the top of a window as tall as it (an element screenshot of so long
  // a page makes Chromium drop the page)
  for (const figure of await page.$$("figure.exhibit:has(.chart-plot)")) {
    const { id, height } = await figure.evaluate((el) => {
      el.scrollIntoView();
      return { id: el.id, height: Math.ceil(el.getBoundingClientRect().height) };
    });
    await page.setViewport({ width, height: Math.max(200, height), deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    await figure.evaluate((el) => el.scrollIntoView());
    await page.screenshot({ path: path.join(dir, `${id}.png`) });
  }
  return result;
}

(async () => {
  const [out, shots, ...widths] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.BROWSER_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--allow-file-access-from-files"],
    headless: true,
  });
  try {
    const page = await browser.newPage();
    const url = "file://" + path.resolve(out, "report.html");
    const results = [];
    for (const width of (widths.length ? widths : ["320", "390"]).map(Number)) {
      results.push(await atWidth(browser, page, url, width, shots));
    }
    console.log(JSON.stringify(results, null, 1));
  } finally {
    await browser.close();
  }
})();
