// Federation proof (driven by clients/federation_test.go): the gateway as
// a subgraph (FEDERATION=true) composed with a second, app-owned subgraph
// by a real composer (@theguild/federation-composition), served by a real
// router (Hive Gateway's runtime, @graphql-hive/gateway-runtime), and
// queried in one request that crosses both subgraphs both ways.
//
//   CIRCLE_SUBGRAPH_URL  the gateway's /graphql
//   CIRCLE_SCHEMA_URL    the gateway's /schema.graphql
//   MEMBER_TOKEN         a member access token, sent as the client would
//   APP_MEMBER_IDS       community member ids on the app's leaderboard
//
// Prints one JSON line: the composition's verdict, the answers with and
// without the token, and what the app subgraph was asked.
import { createServer } from "node:http";
import { parse, print } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import { composeServices, compositionHasErrors, sortSDL } from "@theguild/federation-composition";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const circleURL = process.env.CIRCLE_SUBGRAPH_URL;
const circleSchemaURL = process.env.CIRCLE_SCHEMA_URL;
const token = process.env.MEMBER_TOKEN;
const leaderboardIDs = (process.env.APP_MEMBER_IDS ?? "").split(",").filter(Boolean);
if (!circleURL || !circleSchemaURL || !token || leaderboardIDs.length === 0) {
  throw new Error("CIRCLE_SUBGRAPH_URL, CIRCLE_SCHEMA_URL, MEMBER_TOKEN and APP_MEMBER_IDS are required");
}

// The app's own subgraph: it extends Member with appBadge (derived from the
// id it is handed, so the test can tell it answered) and owns a root field
// listing members by id only, which the router completes from the gateway.
const appSDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Member @key(fields: "id") {
    id: ID!
    appBadge: String!
  }

  type LeaderboardEntry {
    rank: Int!
    member: Member!
  }

  type Query {
    leaderboard: [LeaderboardEntry!]!
  }
`;
// What a subgraph library would add to serve appSDL: the federation
// directives, _Any, _Entity, _service and _entities.
const appPlumbing = /* GraphQL */ `
  directive @link(url: String!, import: [String]) repeatable on SCHEMA
  directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  scalar _Any
  union _Entity = Member
  type _Service { sdl: String }
  extend type Query {
    _entities(representations: [_Any!]!): [_Entity]!
    _service: _Service!
  }
`;
const appAsked = { entityBatches: [], authorization: [] };
const app = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs: [appSDL, appPlumbing],
    resolvers: {
      Query: {
        leaderboard: () => leaderboardIDs.map((id, i) => ({ rank: i + 1, member: { id } })),
        _service: () => ({ sdl: appSDL }),
        _entities: (_, { representations }) => {
          appAsked.entityBatches.push(representations);
          return representations.map((r) => (r.__typename === "Member" ? { id: r.id } : null));
        },
      },
      _Entity: { __resolveType: () => "Member" },
      Member: { appBadge: (m) => `badge-${m.id}` },
    },
  }),
  context: ({ request }) => {
    // Which token came along, never the token itself (it ends up in logs).
    const auth = request.headers.get("authorization");
    appAsked.authorization.push(auth === `Bearer ${token}` ? "member token" : auth === null ? "none" : "other");
    return {};
  },
});

function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function post(url, query, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}

const appServer = await listen(app);
const appURL = `http://127.0.0.1:${appServer.address().port}/graphql`;

// Composition reads each subgraph's SDL from _service, as a schema
// registry or `rover subgraph introspect` would. No token: _service reads
// nothing from Circle.
const circleSDL = await post(circleURL, "{ _service { sdl } }");
if (circleSDL.status !== 200 || !circleSDL.body.data?._service?.sdl) {
  throw new Error(`_service: ${circleSDL.status} ${JSON.stringify(circleSDL.body)}`);
}
const compose = (sdl) =>
  composeServices([
    { name: "circle", typeDefs: parse(sdl), url: circleURL },
    { name: "app", typeDefs: parse(appSDL), url: appURL },
  ]);
const composed = compose(circleSDL.body.data._service.sdl);
if (compositionHasErrors(composed)) {
  console.log(JSON.stringify({ composed: false, errors: composed.errors.map((e) => e.message) }));
  appServer.close();
  process.exit(1);
}
// With INTROSPECTION=false _service is refused; the SDL the gateway serves
// at /schema.graphql in subgraph mode composes into the same supergraph
// (its definitions in another order).
const servedSDL = await (await fetch(circleSchemaURL)).text();
const fromServed = compose(servedSDL);
const sorted = (c) => print(sortSDL(c.supergraphDocumentNode));
const sameFromSchemaEndpoint = !compositionHasErrors(fromServed) && sorted(fromServed) === sorted(composed);

// The router forwards the member's Authorization header to the subgraphs:
// the gateway reads Circle with the requester's own token.
// maskedErrors off: a failure shows the subgraph's own error in the test.
const router = createGatewayRuntime({
  supergraph: composed.supergraphSdl,
  logging: false,
  maskedErrors: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }),
  },
});
const routerServer = await listen(router);
const routerURL = `http://127.0.0.1:${routerServer.address().port}/graphql`;

const query = /* GraphQL */ `
  query Federated {
    me { id name appBadge }
    homeFeed(first: 5) { nodes { id title author { id name appBadge } } }
    leaderboard { rank member { id name bio appBadge } }
  }
`;
const withToken = await post(routerURL, query, { authorization: `Bearer ${token}` });
const withoutToken = await post(routerURL, query);

console.log(
  JSON.stringify({
    composed: true,
    sameFromSchemaEndpoint,
    publicSchemaHasAppBadge: /type Member[^}]*appBadge: String!/s.test(composed.publicSdl),
    withToken,
    withoutToken,
    appAsked,
  }),
);
await router.dispose?.();
routerServer.close();
appServer.close();
process.exit(0);
