// Subscriptions in the Playground, as `go run .` offers them: GraphiQL at
// GET / (sandbox mode: its headers editor pre-filled with a demo member
// token) runs a subscription over its WebSocket to /graphql, another member
// comments on the demo member's post, and the notification appears in the
// response pane. Then the subscription is stopped and the startup log's
// sample subscription is run the same way. Writes
// $ARTIFACTS_DIR/playground-subscription.png.
//
// Env: GATEWAY_URL, TOKEN_B (the other member's token), POST_OF_A (a post of
// the demo member's that B sees), SUBSCRIPTIONS (a JSON list of subscription
// documents to run in turn), ARTIFACTS_DIR. Prints one JSON summary line;
// exits non-zero on any failure.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { channelsConfirmed, until } from '../live/lib.mjs';
import { editorValue, launch, requireEnv, routeCDN, typeInto, watchedPage } from './lib.mjs';

const gateway = requireEnv('GATEWAY_URL');
const tokenB = requireEnv('TOKEN_B');
const postOfA = requireEnv('POST_OF_A');
const subscriptions = JSON.parse(requireEnv('SUBSCRIPTIONS'));
const artifacts = requireEnv('ARTIFACTS_DIR');

const queryEditor = '.graphiql-query-editor .CodeMirror';
const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const responsePane = '.graphiql-response .CodeMirror';

// commentAsB is the other member's comment, made over plain HTTP.
async function commentAsB(body) {
  const r = await (await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokenB}` },
    body: JSON.stringify({
      query: 'mutation($p: ID!, $b: String!) { createComment(input: { postId: $p, body: $b }) { comment { id } userErrors { message } } }',
      variables: { p: postOfA, b: body },
    }),
  })).json();
  if (r.errors || !r.data?.createComment?.comment) throw new Error(`B's comment: ${JSON.stringify(r)}`);
}

const browser = await launch();
const problems = [];
let summary = {};
try {
  const cdn = await routeCDN(browser.context);
  const page = await watchedPage(browser.context, problems);
  // Every WebSocket the page opens, with what went over it, recorded in
  // the page itself (window.__sockets).
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        const s = { url: String(url), protocol: '', sent: [], received: [], closed: null };
        window.__sockets.push(s);
        this.record = s;
        this.addEventListener('open', () => { s.protocol = this.protocol; });
        this.addEventListener('message', (e) => s.received.push(JSON.parse(e.data)));
        this.addEventListener('close', (e) => { s.closed = { code: e.code, reason: e.reason }; });
      }

      send(data) {
        this.record.sent.push(JSON.parse(data));
        super.send(data);
      }
    };
  });
  const sockets = () => page.evaluate(() => window.__sockets);
  // Subscriptions sent over plain HTTP instead (GraphiQL does that when it
  // runs before it has parsed the editor's text).
  const overHTTP = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url() === `${gateway}/graphql` && /^\s*subscription\b/.test(JSON.parse(r.postData() || '{}').query ?? '')) overHTTP.push(r.postData());
  });

  const resp = await page.goto(`${gateway}/`);
  if (resp.status() !== 200) throw new Error(`GET / answered ${resp.status()}`);
  await page.waitForSelector(queryEditor, { timeout: 30_000 });
  if (cdn.refused.length) throw new Error(`requests refused: ${cdn.refused.join(', ')}`);

  // The sandbox pre-filled the headers editor with a member token.
  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  await page.waitForSelector(headersEditor);
  const prefilled = JSON.parse(await editorValue(page, headersEditor));

  const runs = [];
  for (const [i, doc] of subscriptions.entries()) {
    await typeInto(page, queryEditor, doc);
    const typed = (await editorValue(page, queryEditor)).replace(/\s/g, '');
    if (typed !== doc.replace(/\s/g, '')) throw new Error(`the query editor holds ${typed}`);
    // GraphiQL tells a subscription from its parse of the editor, made a
    // moment after the last keystroke: run before it, the document would
    // go as a plain POST. Wait until the parse is of what was typed.
    await page.waitForFunction((sel) => {
      const cm = document.querySelector(sel).CodeMirror;
      return cm.documentAST?.loc?.source?.body === cm.getValue() && cm.operations?.[0]?.operation === 'subscription';
    }, queryEditor, { timeout: 30_000 });
    const socketsBefore = (await sockets()).length;
    await page.click('.graphiql-execute-button');
    // The gateway has the subscription on Circle's cable: B's comment from
    // now on notifies this subscriber.
    await channelsConfirmed(gateway, 1);
    const body = `Comment ${i + 1} seen in GraphiQL`;
    await commentAsB(body);
    await page.waitForFunction((sel) => {
      const el = document.querySelector(sel);
      return el?.CodeMirror?.getValue().includes('"notificationReceived"');
    }, responsePane, { timeout: 30_000 });
    const shown = JSON.parse(await editorValue(page, responsePane));
    const visibleText = await page.$eval('.graphiql-response', (el) => el.innerText);
    const socket = (await sockets())[socketsBefore];
    runs.push({
      subscription: doc,
      shown,
      visible: visibleText.includes(shown.data?.notificationReceived?.text ?? '\u0000'),
      socket: socket && { url: socket.url, protocol: socket.protocol, sent: socket.sent.map((m) => m.type), init: socket.sent.find((m) => m.type === 'connection_init')?.payload },
    });
    if (i === 0) {
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'playground-subscription.png') });
    }
    // Stop it, as a person would before running another: the gateway lets
    // the channel go.
    await page.click('.graphiql-execute-button');
    await until(async () => (await sockets())[socketsBefore].closed, 'GraphiQL closing its WebSocket')
      .catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await sockets())}`); });
    await channelsConfirmed(gateway, 0);
  }

  const expectedURL = gateway.replace(/^http/, 'ws') + '/graphql';
  const checks = {
    'the headers editor was pre-filled with a member token': /^Bearer .+/.test(prefilled.Authorization ?? ''),
    'no subscription went as a plain POST': overHTTP.length === 0,
    'each run opened a WebSocket to /graphql': runs.every((r) => r.socket?.url === expectedURL),
    'connection_init carried the editor\'s Authorization': runs.every((r) => r.socket?.init?.Authorization === prefilled.Authorization),
    'each run subscribed over graphql-transport-ws': runs.every((r) => r.socket?.protocol === 'graphql-transport-ws' && r.socket.sent.includes('subscribe')),
    'each run showed a notification without errors': runs.every((r) => !r.shown.errors && typeof r.shown.data?.notificationReceived?.text === 'string'),
    'the notification text is visible on the page': runs.every((r) => r.visible),
    'stopping ended each run\'s socket': (await sockets()).every((s) => s.closed?.code === 1000),
    'no page errors': problems.length === 0,
  };
  summary = {
    ok: Object.values(checks).every(Boolean),
    checks,
    problems,
    events: runs.map((r) => r.shown.data?.notificationReceived),
    screenshot: join(artifacts, 'playground-subscription.png'),
  };
} catch (err) {
  summary = { ok: false, error: err.stack || String(err), problems };
} finally {
  await browser.close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
