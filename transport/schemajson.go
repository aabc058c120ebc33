package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
)

// IntrospectionQuery is the introspection query GraphiQL and most code
// generators send (graphql-js's getIntrospectionQuery).
const IntrospectionQuery = `
    query IntrospectionQuery {
      __schema {
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          locations
          args {
            ...InputValue
          }
        }
      }
    }
    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }
    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
    }
    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
`

// schemaJSON is the answer to IntrospectionQuery, computed once from the
// served schema with introspection on. It says nothing /schema.graphql does
// not: with INTROSPECTION=false the Playground loads it from /schema.json
// (docs/contract.md §1: "Playground and codegen then use /schema.graphql").
func schemaJSON(schema graphql.ExecutableSchema) ([]byte, error) {
	exec := executor.New(schema)
	exec.Use(extension.Introspection{})
	ctx := graphql.StartOperationTrace(context.Background())
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: IntrospectionQuery, OperationName: "IntrospectionQuery"})
	if len(errs) > 0 {
		return nil, fmt.Errorf("transport: introspecting the schema: %v", errs)
	}
	respond, ctx := exec.DispatchOperation(ctx, oc)
	resp := respond(ctx)
	if len(resp.Errors) > 0 {
		return nil, fmt.Errorf("transport: introspecting the schema: %v", resp.Errors)
	}
	return json.Marshal(resp)
}

// fetcherLine is where gqlgen's GraphiQL page creates its fetcher.
const fetcherLine = "const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl, headers: fetcherHeaders });"

// schemaFromFile makes a GraphiQL page answer its own introspection query
// from /schema.json, for a gateway whose /graphql refuses introspection.
// It fails when gqlgen's page no longer has the line it rewrites.
func schemaFromFile(page string) (string, error) {
	if !strings.Contains(page, fetcherLine) {
		return "", fmt.Errorf("transport: the Playground page has no %q to rewrite", fetcherLine)
	}
	return strings.Replace(page, fetcherLine, `const graphqlFetcher = GraphiQL.createFetcher({ url, subscriptionUrl, headers: fetcherHeaders });
      // INTROSPECTION=false: /graphql refuses introspection, so the schema
      // comes from /schema.json (the served schema, as introspection JSON).
      const fetcher = (params, opts) =>
        params && params.operationName === 'IntrospectionQuery'
          ? fetch('/schema.json').then((r) => r.json())
          : graphqlFetcher(params, opts);`, 1), nil
}
