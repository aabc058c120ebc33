// Shared by the browser tests: launching Debian's Chromium through
// playwright-core, and serving the Playground's CDN assets from node_modules.
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const nodeModules = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');

// The flags a closed-network machine needs (see the README): no background
// networking, no component updates, no QUIC, no sandbox as root.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// launch starts Chromium with a fresh profile; close() removes it.
export async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'gateway-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const contentTypes = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

// routeCDN answers requests for https://cdn.jsdelivr.net/npm/<pkg>@<version>/<file>
// from node_modules/<pkg>/<file>, after checking that the installed package
// is exactly <version>: the page's SRI hashes then decide, in the browser,
// whether the bytes are jsdelivr's. Every other request off this machine is
// aborted and recorded. Returns the log of what was served and refused.
export async function routeCDN(context) {
  const log = { served: [], refused: [] };
  await context.route('https://cdn.jsdelivr.net/npm/**', async (route) => {
    const url = new URL(route.request().url());
    const m = url.pathname.match(/^\/npm\/((?:@[^/]+\/)?[^/@]+)@([^/]+)\/(.+)$/);
    if (!m) {
      log.refused.push(url.href);
      return route.abort('blockedbyclient');
    }
    const [, pkg, version, file] = m;
    try {
      const manifest = JSON.parse(await readFile(join(nodeModules, pkg, 'package.json'), 'utf8'));
      if (manifest.version !== version) {
        throw new Error(`node_modules has ${pkg}@${manifest.version}, the page asks for ${version}: pin ${pkg}@${version} in clients/package.json`);
      }
      const root = join(nodeModules, pkg) + sep;
      const path = normalize(join(root, file));
      if (!path.startsWith(root)) throw new Error(`path escapes the package: ${file}`);
      const body = await readFile(path);
      const ext = path.slice(path.lastIndexOf('.'));
      log.served.push({ url: url.href, file: path.slice(nodeModules.length + 1), sri: 'sha256-' + createHash('sha256').update(body).digest('base64') });
      return route.fulfill({
        status: 200,
        body,
        headers: {
          'content-type': contentTypes[ext] || 'application/octet-stream',
          // crossorigin="anonymous" tags need CORS for their SRI check.
          'access-control-allow-origin': '*',
        },
      });
    } catch (err) {
      log.refused.push(`${url.href}: ${err.message}`);
      return route.abort('failed');
    }
  });
  // Anything else that is not loopback would need the internet: refuse it
  // loudly rather than hang.
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/])(?!https:\/\/cdn\.jsdelivr\.net\/npm\/)[a-z]+:\/\/.*/, (route) => {
    log.refused.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return log;
}

// watchedPage opens a page whose uncaught errors and console errors are
// pushed onto problems.
export async function watchedPage(context, problems) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  return page;
}

// editorValue reads a CodeMirror editor's text (GraphiQL 4 uses CodeMirror 5).
export const editorValue = (page, selector) =>
  page.$eval(selector, (el) => el.CodeMirror.getValue());

// typeInto replaces an editor's text by typing, as a person would.
export async function typeInto(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
  await page.keyboard.press('Escape'); // close any completion hint
}

// fail prints the reason as the script's last line and exits non-zero.
export function fail(msg, extra = {}) {
  console.log(JSON.stringify({ ok: false, error: msg, ...extra }));
  process.exit(1);
}

// requireEnv reads a variable the Go test sets.
export function requireEnv(name) {
  const v = process.env[name];
  if (!v) fail(`${name} is not set (this script is run by the Go tests in clients/)`);
  return v;
}
