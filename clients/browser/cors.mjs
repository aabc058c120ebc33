// Cross-origin calls from a web app: a page served from another local
// origin calls the gateway with fetch and an Authorization header (so the
// browser sends a CORS preflight). From ALLOWED_ORIGIN it gets the data and
// can read the exposed X-Request-Id header; from BLOCKED_ORIGIN the browser
// refuses to hand the response to the page.
//
// Env: GATEWAY_URL, GATEWAY_TOKEN, ALLOWED_ORIGIN, BLOCKED_ORIGIN. Prints
// one JSON summary line; exits non-zero on any failure.
import { fail, launch, requireEnv } from './lib.mjs';

const gateway = requireEnv('GATEWAY_URL');
const token = requireEnv('GATEWAY_TOKEN');
const allowed = requireEnv('ALLOWED_ORIGIN');
const blocked = requireEnv('BLOCKED_ORIGIN');

// callFrom opens a page of origin and runs the app's fetch there.
async function callFrom(context, origin) {
  const page = await context.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push(m.text()));
  const resp = await page.goto(`${origin}/`);
  if (resp.status() !== 200) fail(`GET ${origin}/ answered ${resp.status()}`);
  const result = await page.evaluate(async ({ url, token }) => {
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { name } }' }),
      });
      return { fetched: true, status: r.status, requestId: r.headers.get('X-Request-Id'), body: await r.json() };
    } catch (err) {
      return { fetched: false, error: String(err) };
    }
  }, { url: `${gateway}/graphql`, token });
  // The browser logs the CORS refusal asynchronously: a refused fetch waits
  // for that message (the wait's bound only matters when it never comes,
  // and then the check fails), an accepted one has none to wait for.
  if (!result.fetched && !console_.some((l) => l.includes('blocked by CORS policy'))) {
    await page.waitForEvent('console', { predicate: (m) => m.text().includes('blocked by CORS policy'), timeout: 10_000 }).catch(() => {});
  }
  await page.close();
  return { origin, ...result, console: console_ };
}


const browser = await launch();
let summary;
try {
  const ok = await callFrom(browser.context, allowed);
  const ko = await callFrom(browser.context, blocked);
  const checks = {
    'allowed origin: fetch resolved with 200': ok.fetched && ok.status === 200,
    'allowed origin: the member came back': typeof ok.body?.data?.me?.name === 'string' && !ok.body.errors,
    'allowed origin: X-Request-Id is exposed': typeof ok.requestId === 'string' && ok.requestId.length > 0,
    'blocked origin: fetch rejected by the browser': ko.fetched === false && /Failed to fetch/.test(ko.error),
    'blocked origin: the browser names CORS': ko.console.some((l) => l.includes('blocked by CORS policy')),
  };
  summary = { ok: Object.values(checks).every(Boolean), checks, allowed: ok, blocked: ko };
} catch (err) {
  summary = { ok: false, error: err.stack || String(err) };
} finally {
  await browser.close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
