// A chat screen on Apollo Client (@apollo/client core, InMemoryCache, in
// Node), as an app would build it over the gateway:
//
//   1. the room list (chatRooms);
//   2. the room ROOM_UUID opened: its newest messages, watched
//      (messages(last:), edges merged by relayStylePagination);
//   3. scrolling back: fetchMore with before = pageInfo.startCursor, the
//      older page merged in front of the first;
//   4. a message sent (sendChatMessage); its payload's message, normalized
//      as ChatMessage:<id>, is appended to the room's messages and made the
//      room's lastMessage by the mutation's update function, so the open
//      screen and the room list show it with no refetch.
//
// What the cache then holds is reported for the Go test to compare with
// what the gateway answers. Env: GATEWAY_URL, GATEWAY_TOKEN, ROOM_UUID.
// Prints one JSON summary line; exits non-zero on any failure.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { requireEnv } from '../browser/lib.mjs';
import { Stream } from './lib.mjs';

const gateway = requireEnv('GATEWAY_URL');
const token = requireEnv('GATEWAY_TOKEN');
const roomUuid = requireEnv('ROOM_UUID');
const pageSize = 10;
const body = 'Sent from the Apollo chat screen';

const ROOMS = gql`
  query Rooms {
    chatRooms(first: 20) {
      nodes { uuid kind name unreadMessagesCount lastMessage { id body createdAt sender { id name } } }
    }
  }
`;
const MESSAGE = gql`
  fragment ChatLine on ChatMessage { id body createdAt chatRoomUuid sender { id name } }
`;
const ROOM = gql`
  query Room($uuid: ID!, $last: Int!, $before: String) {
    chatRoom(uuid: $uuid) {
      uuid name
      messages(last: $last, before: $before) {
        totalCount
        pageInfo { hasPreviousPage startCursor }
        edges { cursor node { ...ChatLine } }
      }
    }
  }
  ${MESSAGE}
`;
const SEND = gql`
  mutation Send($uuid: ID!, $body: String!) {
    sendChatMessage(chatRoomUuid: $uuid, body: $body) { message { ...ChatLine } userErrors { message } }
  }
  ${MESSAGE}
`;

// Every operation that goes over the network, by name: the screen's cost.
const sent = [];
const client = new ApolloClient({
  link: new HttpLink({
    uri: `${gateway}/graphql`,
    headers: { Authorization: `Bearer ${token}` },
    fetch: (url, init) => {
      sent.push(JSON.parse(init.body).operationName);
      return fetch(url, init);
    },
  }),
  cache: new InMemoryCache({
    typePolicies: {
      // Rooms are identified by their uuid; their message pages merge
      // into one list whatever the window arguments.
      ChatRoom: { keyFields: ['uuid'], fields: { messages: relayStylePagination() } },
    },
  }),
});

const ids = (conn) => conn.edges.map((e) => e.node.id);
// messagesShown is what the open screen renders from its watched query's
// latest complete result.
const messagesShown = (r) => (r.dataState === 'complete' && !r.loading ? r.data.chatRoom.messages : undefined);

let summary;
try {
  // 1. The room list.
  const rooms = (await client.query({ query: ROOMS })).data.chatRooms.nodes;
  if (!rooms.some((r) => r.uuid === roomUuid)) throw new Error(`room ${roomUuid} is not in the member's list`);

  // 2. The room, newest messages, watched as the open screen would: each
  // result it renders is recorded.
  const screen = client.watchQuery({ query: ROOM, variables: { uuid: roomUuid, last: pageSize } });
  const rendered = new Stream('the room screen');
  const mounted = screen.subscribe(rendered.sink);
  const first = messagesShown(await rendered.find((r) => messagesShown(r), 'the first page'));
  if (first.edges.length !== pageSize || !first.pageInfo.hasPreviousPage) {
    throw new Error(`the first page has ${first.edges.length} messages, hasPreviousPage ${first.pageInfo.hasPreviousPage}: the room needs more than ${pageSize}`);
  }

  // 3. Scroll back one page: the screen renders both pages.
  await screen.fetchMore({ variables: { before: first.pageInfo.startCursor } });
  const merged = messagesShown(await rendered.find((r) => messagesShown(r)?.edges.length > pageSize, 'the older page'));

  // 4. Send; the update function puts the payload's message where the
  // screen and the list read it.
  const result = await client.mutate({
    mutation: SEND,
    variables: { uuid: roomUuid, body },
    update(cache, { data }) {
      const message = data?.sendChatMessage?.message;
      if (!message) return;
      cache.modify({
        id: cache.identify({ __typename: 'ChatRoom', uuid: roomUuid }),
        fields: {
          messages(existing, { toReference }) {
            const edge = { __typename: 'ChatMessageEdge', cursor: '', node: toReference(message) };
            return { ...existing, totalCount: existing.totalCount + 1, edges: [...existing.edges, edge] };
          },
          lastMessage(_, { toReference }) {
            return toReference(message);
          },
        },
      });
    },
  });
  const payload = result.data.sendChatMessage;
  if (payload.userErrors.length || !payload.message) throw new Error(`sendChatMessage: ${JSON.stringify(payload)}`);

  // What the cache now holds, read without the network.
  const onScreen = messagesShown(await rendered.find((r) => messagesShown(r)?.edges.some((e) => e.node.id === payload.message.id), 'the sent message'));
  const cachedRoom = client.readQuery({ query: ROOM, variables: { uuid: roomUuid, last: pageSize } }).chatRoom.messages;
  const cachedMessage = client.readFragment({ id: client.cache.identify(payload.message), fragment: MESSAGE });
  const cachedList = client.readQuery({ query: ROOMS }).chatRooms.nodes.find((r) => r.uuid === roomUuid);
  mounted.unsubscribe();

  const firstIds = ids(first);
  const mergedIds = ids(merged);
  const older = mergedIds.slice(0, mergedIds.length - firstIds.length);
  const createdAt = merged.edges.map((e) => Date.parse(e.node.createdAt));
  const checks = {
    'the room list came from the gateway': rooms.length > 0,
    'the older page went in front of the first': older.length > 0 && JSON.stringify(mergedIds.slice(older.length)) === JSON.stringify(firstIds),
    'the merged messages are oldest first': createdAt.every((t, i) => i === 0 || createdAt[i - 1] <= t),
    'no message twice': new Set(mergedIds).size === mergedIds.length,
    'the payload message is in the cache': cachedMessage?.id === payload.message.id && cachedMessage.body === body,
    'the open screen shows it last': ids(onScreen).at(-1) === payload.message.id && onScreen.edges.length === merged.edges.length + 1,
    'the cached room query ends with it': ids(cachedRoom).at(-1) === payload.message.id,
    'the room list shows it as the last message': cachedList?.lastMessage?.id === payload.message.id && cachedList.lastMessage.body === body,
    'the total count went up by one': onScreen.totalCount === merged.totalCount + 1,
    'nothing was refetched after the send': JSON.stringify(sent) === JSON.stringify(['Rooms', 'Room', 'Room', 'Send']),
  };
  summary = {
    ok: Object.values(checks).every(Boolean),
    checks,
    operations: sent,
    rooms: rooms.map((r) => r.uuid),
    firstPage: firstIds,
    olderPage: older,
    cachedMessages: ids(onScreen),
    totalCount: onScreen.totalCount,
    sent: payload.message,
  };
} catch (err) {
  summary = { ok: false, error: err.stack || String(err), operations: sent };
}
client.stop();
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
