// Two members subscribe through a real client library, npm's graphql-ws
// (TRANSPORT=ws: graphql-transport-ws over one WebSocket per member) or
// graphql-sse (TRANSPORT=sse: distinct connections mode, one SSE request
// per subscription), and act through the same client:
//
//   1. A and B each subscribe to their notifications (the startup log's
//      sample subscription) and to the chat room they share.
//   2. Once the cable has confirmed those four channels (/metrics), B
//      comments on A's post: A's notification stream delivers it.
//   3. A comments on B's post: B's notification stream delivers it.
//   4. B sends a message in the room: both room streams deliver it.
//
// Every result each stream delivered is reported, so that the Go test
// decides from the record who heard what (B nothing of A's, A nothing of
// B's). Env: TRANSPORT, GATEWAY_URL, TOKEN_A, TOKEN_B, ROOM_UUID,
// POST_OF_A, POST_OF_B, NOTIFICATION_SUBSCRIPTION. Prints one JSON summary
// line; exits non-zero when a step fails (the summary says which).
import { createClient as createWSClient } from 'graphql-ws';
import { createClient as createSSEClient } from 'graphql-sse';
import WebSocket from 'ws';
import { fail, requireEnv } from '../browser/lib.mjs';
import { channelsConfirmed, describe, Stream, within } from './lib.mjs';

const transport = requireEnv('TRANSPORT');
const gateway = requireEnv('GATEWAY_URL');
const tokenA = requireEnv('TOKEN_A');
const tokenB = requireEnv('TOKEN_B');
const room = requireEnv('ROOM_UUID');
const postOfA = requireEnv('POST_OF_A');
const postOfB = requireEnv('POST_OF_B');
const notifications = requireEnv('NOTIFICATION_SUBSCRIPTION');

const chatSubscription = `subscription Room($room: ID!) {
  chatMessageReceived(chatRoomUuid: $room) { id chatRoomUuid body sender { id name } }
}`;
const commentMutation = `mutation Comment($post: ID!, $body: String!) {
  createComment(input: { postId: $post, body: $body }) { comment { id } userErrors { message } }
}`;
const sendMutation = `mutation Send($room: ID!, $body: String!) {
  sendChatMessage(chatRoomUuid: $room, body: $body) { message { id } userErrors { message } }
}`;

// connect makes the member's client: both libraries take the token the way
// their protocol carries it and share the subscribe(payload, sink) API.
// Neither retries: a refused or dropped connection is a failure to see.
function connect(token) {
  const authorization = `Bearer ${token}`;
  switch (transport) {
    case 'ws':
      return createWSClient({
        url: gateway.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: authorization },
        retryAttempts: 0,
      });
    case 'sse':
      return createSSEClient({
        url: `${gateway}/graphql`,
        headers: { Authorization: authorization },
        singleConnection: false,
        retryAttempts: 0,
      });
    default:
      return fail(`TRANSPORT ${transport}: want ws or sse`);
  }
}

// request runs a mutation through the client and returns its one result.
function request(client, query, variables, what) {
  return within(30_000, new Promise((resolve, reject) => {
    let result;
    client.subscribe({ query, variables }, {
      next: (r) => { result = r; },
      error: (e) => reject(new Error(`${what}: ${describe(e)}`)),
      complete: () => (result ? resolve(result) : reject(new Error(`${what}: completed without a result`))),
    });
  }), what).then((r) => {
    if (r.errors?.length) throw new Error(`${what}: ${describe(r.errors)}`);
    return r.data;
  });
}

const clients = { a: connect(tokenA), b: connect(tokenB) };
const streams = {
  aNotifications: new Stream("A's notifications"),
  aRoom: new Stream("A's room"),
  bNotifications: new Stream("B's notifications"),
  bRoom: new Stream("B's room"),
};
const unsubscribe = [
  clients.a.subscribe({ query: notifications }, streams.aNotifications.sink),
  clients.a.subscribe({ query: chatSubscription, variables: { room } }, streams.aRoom.sink),
  clients.b.subscribe({ query: notifications }, streams.bNotifications.sink),
  clients.b.subscribe({ query: chatSubscription, variables: { room } }, streams.bRoom.sink),
];

const steps = [];
const writes = {};
let error;
try {
  // Each member's notification and room channels, each confirmed once.
  await channelsConfirmed(gateway, 4);
  steps.push('4 channels confirmed on the cable');

  writes.commentOnA = (await request(clients.b, commentMutation, { post: postOfA, body: `B on A's post over ${transport}` }, "B's comment")).createComment;
  await streams.aNotifications.nth(0);
  steps.push("A notified of B's comment");

  writes.commentOnB = (await request(clients.a, commentMutation, { post: postOfB, body: `A on B's post over ${transport}` }, "A's comment")).createComment;
  await streams.bNotifications.nth(0);
  steps.push("B notified of A's comment");

  writes.message = (await request(clients.b, sendMutation, { room, body: `B in the room over ${transport}` }, "B's message")).sendChatMessage;
  await streams.aRoom.nth(0);
  await streams.bRoom.nth(0);
  steps.push("the message reached both room streams");
} catch (err) {
  error = err.message;
}
for (const u of unsubscribe) u();
for (const c of Object.values(clients)) await c.dispose();

const summary = {
  ok: !error,
  transport,
  steps,
  writes,
  streams: Object.fromEntries(Object.entries(streams).map(([k, s]) => [k, s.summary()])),
  ...(error ? { error } : {}),
};
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
