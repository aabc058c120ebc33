// Playground end to end: GraphiQL at GET / loads from the pinned CDN assets
// (served here from node_modules, checked by the page's SRI hashes), the
// demo member token is typed into its headers editor, a query is typed and
// run, and its result appears on the page, equal to what /graphql answers
// directly. Writes $ARTIFACTS_DIR/playground.png.
//
// Env: GATEWAY_URL (http://127.0.0.1:port), GATEWAY_TOKEN (a member access
// token), ARTIFACTS_DIR. Prints one JSON summary line; exits non-zero on
// any failure.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { editorValue, fail, launch, requireEnv, routeCDN, typeInto, watchedPage } from './lib.mjs';

const gateway = requireEnv('GATEWAY_URL');
const token = requireEnv('GATEWAY_TOKEN');
const artifacts = requireEnv('ARTIFACTS_DIR');
// SCHEMA_FROM_FILE=1: the gateway runs with INTROSPECTION=false, so the page
// must take the schema from GET /schema.json, not from /graphql.
const schemaFromFile = process.env.SCHEMA_FROM_FILE === '1';
const query = '{ me { name } homeFeed(first: 3) { nodes { title author { name } space { name } } } }';
const headers = `{"Authorization": "Bearer ${token}"}`;

const compact = (s) => s.replace(/\s+/g, ' ').trim();

const browser = await launch();
const problems = [];
let summary = {};
try {
  const cdn = await routeCDN(browser.context);
  const page = await watchedPage(browser.context, problems);
  const graphqlRequests = [];
  const schemaFileRequests = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url() === `${gateway}/graphql`) graphqlRequests.push(r);
    if (r.method() === 'GET' && r.url() === `${gateway}/schema.json`) schemaFileRequests.push(r);
  });

  const resp = await page.goto(`${gateway}/`);
  if (resp.status() !== 200) fail(`GET / answered ${resp.status()}`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30_000 }).catch(() =>
    fail('GraphiQL did not render (assets blocked or SRI mismatch?)', { cdn, problems }));

  // The page's integrity attributes must be the hashes of what node_modules
  // served; the browser enforces them, this says which file when it fails.
  const integrity = await page.$$eval('script[integrity],link[integrity]', (els) =>
    els.map((e) => ({ url: e.src || e.href, sri: e.getAttribute('integrity') })));
  for (const { url, sri } of integrity) {
    const served = cdn.served.find((s) => s.url === url);
    if (!served) fail(`asset not served from node_modules: ${url}`, { cdn });
    if (served.sri !== sri) fail(`SRI mismatch for ${url}: page wants ${sri}, node_modules has ${served.sri}`);
  }
  if (cdn.refused.length) fail('requests refused (would need the internet)', { refused: cdn.refused });

  // Headers editor: open it, replace what is there with the member token.
  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  await page.waitForSelector(headersEditor);
  await typeInto(page, headersEditor, headers);
  const typedHeaders = JSON.parse(await editorValue(page, headersEditor));
  if (typedHeaders.Authorization !== `Bearer ${token}`) fail('headers editor does not hold the typed token', { typedHeaders });

  // Query editor: type the query, run it.
  const queryEditor = '.graphiql-query-editor .CodeMirror';
  await typeInto(page, queryEditor, query);
  // Prettify (as a person would before sharing a screenshot): the query
  // and the headers become multi-line and readable.
  await page.click('button[aria-label^="Prettify query"]');
  const typedQuery = await editorValue(page, queryEditor);
  if (compact(typedQuery).replace(/\s/g, '') !== query.replace(/\s/g, '')) fail('query editor does not hold the typed query', { typedQuery });
  const prettyHeaders = JSON.parse(await editorValue(page, headersEditor));
  if (prettyHeaders.Authorization !== `Bearer ${token}`) fail('headers editor lost the token', { prettyHeaders });
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${gateway}/graphql` && (r.postData() || '').includes('homeFeed'));
  await page.click('.graphiql-execute-button');
  const request = await sent;

  // The result appears in the response pane.
  const responsePane = '.graphiql-response .CodeMirror';
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el && el.CodeMirror && el.CodeMirror.getValue().includes('"homeFeed"');
  }, responsePane, { timeout: 30_000 }).catch(() => fail('no result appeared in the response pane', { problems }));
  const shown = JSON.parse(await editorValue(page, responsePane));
  const visibleText = await page.$eval('.graphiql-response', (el) => el.innerText);

  await mkdir(artifacts, { recursive: true });
  const screenshot = join(artifacts, 'playground.png');
  await page.screenshot({ path: screenshot });

  // What GraphiQL sent and showed must be what the API answers directly.
  const direct = await (await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  })).json();
  const checks = {
    'the request went to /graphql with the typed token': request.headers()['authorization'] === `Bearer ${token}`,
    ...(schemaFromFile
      ? {
          'GraphiQL loaded the schema from /schema.json': schemaFileRequests.length > 0,
          'GraphiQL sent no introspection to /graphql': !graphqlRequests.some((r) => (r.postData() || '').includes('__schema')),
        }
      : { 'GraphiQL loaded the schema from /graphql': graphqlRequests.some((r) => (r.postData() || '').includes('IntrospectionQuery')) }),
    'the result has no errors': !shown.errors,
    'the result shows the member': typeof shown.data?.me?.name === 'string' && shown.data.me.name !== '',
    'the result shows 3 posts': shown.data?.homeFeed?.nodes?.length === 3,
    'the first post title is visible on the page': visibleText.includes(shown.data?.homeFeed?.nodes?.[0]?.title ?? '\u0000'),
    'the result equals a direct POST /graphql': JSON.stringify(shown.data) === JSON.stringify(direct.data),
    'no page errors': problems.length === 0,
  };
  summary = {
    ok: Object.values(checks).every(Boolean),
    checks,
    problems,
    screenshot,
    member: shown.data?.me?.name,
    titles: shown.data?.homeFeed?.nodes?.map((n) => `${n.title} — ${n.author.name} in ${n.space.name}`),
    assets: cdn.served.map(({ file, sri }) => ({ file, sri })),
  };
} catch (err) {
  summary = { ok: false, error: err.stack || String(err), problems };
} finally {
  await browser.close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
