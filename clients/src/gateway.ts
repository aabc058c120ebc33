// The web example of the README's "Using it from your app", type-checked
// against what graphql-codegen generates (the codegen test runs tsc over
// it): plain fetch, the member's token as a bearer token, errors by
// extensions.code, and the same call by persisted-operation hash.
import type { HomeFeedQuery, HomeFeedQueryVariables } from '../generated/graphql';
import { HomeFeedDocument } from '../generated/persisted/graphql';

export const GATEWAY_URL = 'http://localhost:8080/graphql';

/** A GraphQL error with the gateway's extensions.code (UNAUTHENTICATED, …). */
export class GatewayError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

type Body<TData> = {
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

async function post<TData>(body: object, token?: string): Promise<TData> {
  const res = await fetch(GATEWAY_URL, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Body<TData>;
  if (json.errors?.length) {
    const [first] = json.errors;
    throw new GatewayError(first.extensions?.code, first.message);
  }
  return json.data as TData;
}

/** Sends an operation's text. */
export function request<TData, TVariables>(query: string, variables: TVariables, token?: string): Promise<TData> {
  return post<TData>({ query, variables }, token);
}

/** Sends only the hash of a persisted operation (client preset documents carry it). */
export function requestPersisted<TData, TVariables>(
  document: { __meta__?: { hash?: string } },
  variables: TVariables,
  token?: string,
): Promise<TData> {
  const sha256Hash = document.__meta__?.hash;
  if (!sha256Hash) throw new Error('document has no persisted hash: generate it with persistedDocuments');
  return post<TData>({ extensions: { persistedQuery: { version: 1, sha256Hash } }, variables }, token);
}

export async function firstTitles(token: string): Promise<string[]> {
  const feed = await request<HomeFeedQuery, HomeFeedQueryVariables>(
    `query HomeFeed($first: Int) { me { id name avatarUrl } homeFeed(first: $first) { totalCount pageInfo { hasNextPage endCursor } nodes { id type title bodyText likesCount commentsCount isLiked createdAt author { id name avatarUrl } space { id name slug } } } }`,
    { first: 5 },
    token,
  );
  const persisted = await requestPersisted<HomeFeedQuery, HomeFeedQueryVariables>(
    HomeFeedDocument as { __meta__?: { hash?: string } },
    { first: 5 },
    token,
  );
  return [...feed.homeFeed.nodes, ...persisted.homeFeed.nodes].map((p) => p.title ?? '(untitled)');
}
