// Command refqueries measures the reference queries of docs/contract.md §6
// (package internal/refqueries) against the embedded sandbox, cold and one
// operation each, and prints the Markdown table BENCHMARKS.md shows. With
// -w it rewrites that table in the given file instead:
//
//	go run ./cmd/refqueries                  # print
//	go run ./cmd/refqueries -w BENCHMARKS.md # rewrite the table in place
//
// It fails when a query costs more upstream calls than its budget.
// e2e's TestReferenceQueryBudgets checks that BENCHMARKS.md holds what this
// prints, so the table cannot drift from the queries.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/internal/refqueries"
	"github.com/circle-gateway/gateway/sandbox"
	"github.com/circle-gateway/gateway/transport"
)

func main() {
	write := flag.String("w", "", "rewrite the reference-query table in this file (BENCHMARKS.md) instead of printing it")
	flag.Parse()
	runs, err := measure(context.Background())
	if err != nil {
		fail(err)
	}
	table := refqueries.Table(runs)
	if *write == "" {
		fmt.Println(table)
		return
	}
	doc, err := os.ReadFile(*write)
	if err != nil {
		fail(err)
	}
	out, err := refqueries.Replace(string(doc), table)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*write, []byte(out), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "refqueries:", err)
	os.Exit(1)
}

// measure runs every reference query once, cold, as the sandbox's demo
// member, through a gateway with its defaults on loopback, counting the
// calls the sandbox receives.
func measure(ctx context.Context) ([]refqueries.Measured, error) {
	sb := sandbox.New(sandbox.Options{})
	var calls atomic.Int64
	upstream, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		sb.Handler().ServeHTTP(w, r)
	}))
	if err != nil {
		return nil, err
	}
	defer upstream.Close()
	client, err := circle.New("http://"+upstream.Addr().String(), circle.WithAppToken(sb.AppToken()))
	if err != nil {
		return nil, err
	}
	gw, err := transport.New(transport.Options{Client: client, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Introspection: true})
	if err != nil {
		return nil, err
	}
	gateway, err := serve(gw)
	if err != nil {
		return nil, err
	}
	defer gateway.Close()
	tok, err := sb.IssueToken(sb.DemoMemberID())
	if err != nil {
		return nil, err
	}
	var runs []refqueries.Measured
	for _, q := range refqueries.All {
		before := calls.Load()
		data, err := post(ctx, "http://"+gateway.Addr().String()+"/graphql", tok.AccessToken, q.Query)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Name, err)
		}
		allowed, err := q.Calls(data)
		if err != nil {
			return nil, err
		}
		run := refqueries.Measured{Query: q, Allowed: allowed, Made: int(calls.Load() - before)}
		if run.Made > run.Allowed {
			return nil, fmt.Errorf("%s cost %d upstream calls, over its budget of %d", q.Name, run.Made, run.Allowed)
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// serve serves h on a fresh loopback port until the listener is closed.
func serve(h http.Handler) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln, nil
}

// post runs one operation and returns its data; any GraphQL error fails.
func post(ctx context.Context, url, token, query string) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if len(out.Errors) > 0 {
		return nil, errors.New(out.Errors[0].Message)
	}
	return out.Data, nil
}
