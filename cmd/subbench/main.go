// Command subbench measures the gateway's subscriptions at scale, on
// loopback only: many graphql-transport-ws subscribers over a few member
// tokens, all following one chat room, and the time from the moment the
// upstream publishes a message on its cable to the moment each subscriber
// has it.
//
// The upstream (cmd/circle-sandbox) and the gateway run as separate
// processes built from this checkout; this process is the clients. The
// sandbox writes each cable event it publishes, with its wall-clock time,
// to a -live-log file, and every cable connection it accepts or ends (by
// member, never by token); the clients stamp each event when it arrives.
// All three run on the same machine, so the clocks are one. The figures:
//
//   - upstream cable connections, from the sandbox's log and from the
//     gateway's gateway_cable_connections_open: one per token;
//   - the gateway's peak RSS (VmHWM of its process, over the whole run);
//   - per event, push → last subscriber (the fan-out), and per delivery,
//     push → that subscriber, as p50 / p99 / max;
//   - every subscriber received every message exactly once, in order.
//
// Run it from the repository root:
//
//	go run ./cmd/subbench                           # 1000 subscribers, 50 tokens
//	go run ./cmd/subbench -subscribers 100 -tokens 10 -events 50
//	go run ./cmd/subbench -distinct                 # no two subscriptions alike
//
// The room is a group room of every sandbox member (36); with more tokens
// than members, some members hold two tokens (two devices), each with its
// own cable connection. The messages are sent through the gateway's
// sendChatMessage, one every -interval. The gateway runs with its defaults
// except CIRCLE_RATE_LIMIT=off, as in cmd/loadtest.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/circle-gateway/gateway/internal/benchproc"
	"github.com/circle-gateway/gateway/internal/gqlws"
)

const appToken = "subbench-app-token"

// subscription is what every subscriber runs: the message's id is all it
// needs to be matched with the sandbox's push.
const subscription = `subscription($room: ID!) { chatMessageReceived(chatRoomUuid: $room) { id body } }`

type options struct {
	subscribers int
	tokens      int
	perSocket   int
	events      int
	warmup      int
	interval    time.Duration
	dialers     int
	gatewayEnv  []string
	profileDir  string
	distinct    bool
}

func main() {
	var o options
	flag.IntVar(&o.subscribers, "subscribers", 1000, "subscriptions in all")
	flag.IntVar(&o.tokens, "tokens", 50, "member tokens the subscriptions are spread over (subscription i uses token i mod tokens)")
	flag.IntVar(&o.perSocket, "per-socket", 1, "subscriptions per WebSocket (at most the gateway's MAX_SUBSCRIPTIONS_PER_CONNECTION, 20)")
	flag.IntVar(&o.events, "events", 200, "messages measured")
	flag.IntVar(&o.warmup, "warmup", 5, "messages sent first and not measured (the first one also shows that every subscriber is live)")
	flag.DurationVar(&o.interval, "interval", 100*time.Millisecond, "time between the starts of two messages")
	flag.IntVar(&o.dialers, "dialers", 16, "WebSockets opened at once while connecting")
	gatewayEnv := flag.String("gateway-env", "", "extra KEY=VALUE settings for the gateway process only, comma-separated (e.g. GOGC=50)")
	flag.BoolVar(&o.distinct, "distinct", false, "give every subscription an operation name of its own, so that none shares another's execution (the gateway resolves each event once per subscriber: its worst case)")
	flag.StringVar(&o.profileDir, "profile", "", "build the gateway with the \"profile\" tag and have it write gateway.cpu.pprof and gateway.allocs.pprof into this directory when it stops, and gateway.heap.pprof (what is live) once every message has arrived")
	flag.Parse()
	if *gatewayEnv != "" {
		o.gatewayEnv = strings.Split(*gatewayEnv, ",")
	}
	switch {
	case o.subscribers < 1 || o.tokens < 1 || o.tokens > o.subscribers:
		fatal(errors.New("need 1 ≤ -tokens ≤ -subscribers"))
	case o.perSocket < 1 || o.subscribers%o.perSocket != 0 || o.subscribers/o.perSocket < o.tokens:
		fatal(errors.New("-per-socket must divide -subscribers, with at least one socket per token"))
	case o.events < 1 || o.warmup < 1 || o.dialers < 1:
		fatal(errors.New("-events, -warmup and -dialers must be at least 1"))
	}
	if err := run(o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "subbench:", err)
	os.Exit(1)
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "subbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(os.Stderr, "building gateway and circle-sandbox …")
	var tags []string
	if o.profileDir != "" {
		tags = append(tags, "profile")
	}
	gatewayBin, sandboxBin, err := benchproc.Build(dir, tags...)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	upPort, gwPort, err := benchproc.FreePorts()
	if err != nil {
		return err
	}
	upURL := fmt.Sprintf("http://127.0.0.1:%d", upPort)
	gwURL := fmt.Sprintf("http://127.0.0.1:%d", gwPort)
	liveLog := filepath.Join(dir, "live.jsonl")

	sandbox := exec.CommandContext(ctx, sandboxBin, "-addr", fmt.Sprintf("127.0.0.1:%d", upPort), "-app-token", appToken, "-quiet", "-live-log", liveLog)
	if err := benchproc.Serve("upstream", sandbox, upURL+"/api/headless/v1/spaces"); err != nil {
		return err
	}
	defer benchproc.Stop(sandbox)

	logFile, err := os.Create(filepath.Join(dir, "gateway.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	gateway := exec.CommandContext(ctx, gatewayBin)
	gateway.Env = append(os.Environ(), "PORT="+strconv.Itoa(gwPort), "CIRCLE_API_URL="+upURL, "CIRCLE_HEADLESS_AUTH_TOKEN="+appToken,
		"CIRCLE_CABLE_URL=ws://127.0.0.1:"+strconv.Itoa(upPort)+"/cable", "CIRCLE_RATE_LIMIT=off", "LOG_FORMAT=json")
	gateway.Env = append(gateway.Env, o.gatewayEnv...)
	if o.profileDir != "" {
		base := filepath.Join(o.profileDir, "gateway")
		gateway.Env = append(gateway.Env, "GATEWAY_CPUPROFILE="+base+".cpu.pprof", "GATEWAY_MEMPROFILE="+base+".allocs.pprof", "GATEWAY_HEAPPROFILE="+base+".heap.pprof")
	}
	gateway.Stdout, gateway.Stderr = logFile, logFile
	if err := gateway.Start(); err != nil {
		return err
	}
	defer benchproc.Stop(gateway)
	if err := benchproc.WaitHTTP(gwURL + "/healthz"); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	gw := &gatewayClient{url: gwURL, http: &http.Client{Timeout: 30 * time.Second}}

	// Tokens, the room of everyone, and each token proven once (as an app
	// would start: a query, then subscriptions).
	demo, err := benchproc.MemberToken(upURL, appToken, map[string]any{"sso_user_id": "demo-user"})
	if err != nil {
		return err
	}
	members, err := gw.memberIDs(demo)
	if err != nil {
		return err
	}
	tokens := make([]string, o.tokens)
	tokenMember := make([]string, o.tokens)
	for i := range tokens {
		tokenMember[i] = members[i%len(members)]
		id, _ := strconv.ParseInt(tokenMember[i], 10, 64)
		if tokens[i], err = benchproc.MemberToken(upURL, appToken, map[string]any{"community_member_id": id}); err != nil {
			return err
		}
		if err := gw.do(tokens[i], `{ me { id } }`, nil, nil); err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
	}
	room, err := gw.createRoom(tokens[0], members[1:])
	if err != nil {
		return err
	}

	fmt.Printf("# Subscription fan-out %s, %d cores\n\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU())
	sharing := "identical subscriptions of a token share an execution"
	if o.distinct {
		sharing = "every subscription with an operation name of its own (-distinct): no execution shared"
	}
	fmt.Printf("%d subscribers (%d per WebSocket) over %d member tokens (%d members), one chat room of %d members, %s; %d messages measured, one every %s, after %d not measured.\n\n",
		o.subscribers, o.perSocket, o.tokens, min(o.tokens, len(members)), len(members), sharing, o.events, o.interval, o.warmup)

	subs, sockets, err := connect(o, gw, tokens, room)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range sockets {
			_ = c.CloseNow()
		}
	}()
	active, cables := gw.gauge("gateway_subscriptions_active"), gw.gauge("gateway_cable_connections_open")
	executions := gw.gauge("gateway_subscription_executions")
	// The peak while connecting, then the kernel's mark is reset
	// (clear_refs 5) so that the one at the end covers the messages only.
	peakConnecting := benchproc.StatusField(gateway.Process.Pid, "VmHWM:")
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", gateway.Process.Pid), []byte("5"), 0)
	fmt.Fprintf(os.Stderr, "connected: %d subscriptions active, %d cable connections open\n", active, cables)

	// Messages: the warm-up, then the measured ones; each send waits for
	// the gateway's answer, the next starts an interval after the last.
	send := func(body string) (string, error) {
		var out struct {
			SendChatMessage struct {
				Message struct{ ID string }
			}
		}
		err := gw.do(tokens[0], `mutation($r: ID!, $b: String!) { sendChatMessage(chatRoomUuid: $r, body: $b) { message { id } } }`,
			map[string]any{"r": room, "b": body}, &out)
		return out.SendChatMessage.Message.ID, err
	}
	var sent []string
	var cpu0 [3]time.Duration // gateway, sandbox, this process, from the first measured message
	for i := range o.warmup + o.events {
		if i == o.warmup {
			cpu0 = [3]time.Duration{benchproc.CPUTime(gateway.Process.Pid), benchproc.CPUTime(sandbox.Process.Pid), benchproc.CPUTime(os.Getpid())}
		}
		t0 := time.Now()
		id, err := send(fmt.Sprintf("message %d", i))
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		sent = append(sent, id)
		if i == 0 {
			// Every subscriber hears the first one before the run goes on:
			// only then is each one's channel live upstream.
			if err := subs.waitAll(1, 60*time.Second); err != nil {
				return err
			}
			continue
		}
		time.Sleep(time.Until(t0.Add(o.interval)))
	}
	if err := subs.waitAll(len(sent), 60*time.Second); err != nil {
		return err
	}
	measuredFor := time.Duration(o.events) * o.interval
	cpu := [3]time.Duration{benchproc.CPUTime(gateway.Process.Pid) - cpu0[0], benchproc.CPUTime(sandbox.Process.Pid) - cpu0[1], benchproc.CPUTime(os.Getpid()) - cpu0[2]}
	peak := benchproc.StatusField(gateway.Process.Pid, "VmHWM:")
	rss := benchproc.StatusField(gateway.Process.Pid, "VmRSS:")
	goroutines := gw.gauge("go_goroutines")
	stacks, heap := gw.gauge("go_memstats_stack_inuse_bytes"), gw.gauge("go_memstats_heap_inuse_bytes")
	cablesAfter := gw.gauge("gateway_cable_connections_open")
	if o.profileDir != "" {
		// What is live with every subscriber connected (written by the
		// gateway on SIGUSR1; the subscribers stay until it has had time).
		_ = gateway.Process.Signal(syscall.SIGUSR1)
		time.Sleep(2 * time.Second)
	}

	pushes, conns, err := readLiveLog(liveLog)
	if err != nil {
		return err
	}
	return report(o, subs, sent, pushes, conns, tokenMember, reportFigures{
		active: active, executions: executions, cablesGauge: cables, cablesGaugeAfter: cablesAfter, peakRSS: max(peak, peakConnecting), peakConnecting: peakConnecting, peakMessages: peak, rss: rss, goroutines: goroutines,
		stacks: stacks, heap: heap, cpu: cpu, measuredFor: measuredFor,
	})
}

// subscribers records what every subscription received, and when.
type subscribers struct {
	mu       sync.Mutex
	got      [][]delivery // by subscriber
	token    []int        // each subscriber's token index
	changed  chan struct{}
	problems []string
}

type delivery struct {
	id string
	at time.Time
}

func (s *subscribers) record(sub int, id string, at time.Time) {
	s.mu.Lock()
	s.got[sub] = append(s.got[sub], delivery{id: id, at: at})
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *subscribers) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// waitAll waits until every subscriber has n deliveries.
func (s *subscribers) waitAll(n int, bound time.Duration) error {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		behind, problems := 0, len(s.problems)
		for _, g := range s.got {
			if len(g) < n {
				behind++
			}
		}
		first := ""
		if problems > 0 {
			first = s.problems[0]
		}
		s.mu.Unlock()
		switch {
		case problems > 0:
			return fmt.Errorf("%d subscriptions failed, e.g. %s", problems, first)
		case behind == 0:
			return nil
		}
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			return fmt.Errorf("%d of %d subscribers lack some of the first %d messages after %s", behind, len(s.got), n, bound)
		}
	}
}

// connect opens the sockets and starts every subscription, then waits
// until the gateway runs them all.
func connect(o options, gw *gatewayClient, tokens []string, room string) (*subscribers, []*gqlws.Client, error) {
	n := o.subscribers / o.perSocket
	subs := &subscribers{got: make([][]delivery, o.subscribers), token: make([]int, o.subscribers), changed: make(chan struct{}, 1)}
	sockets := make([]*gqlws.Client, n)
	wsURL := "ws" + strings.TrimPrefix(gw.url, "http") + "/graphql"
	sem := make(chan struct{}, o.dialers)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		tok := i % len(tokens)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := gqlws.Dial(ctx, wsURL, gqlws.Options{Init: map[string]any{"Authorization": "Bearer " + tokens[tok]}})
			if err != nil {
				errs <- fmt.Errorf("socket %d: %w", i, err)
				return
			}
			sockets[i] = c
			for j := range o.perSocket {
				sub := i*o.perSocket + j
				subs.token[sub] = tok
				query := subscription
				if o.distinct {
					query = strings.Replace(subscription, "subscription(", fmt.Sprintf("subscription S%d(", sub), 1)
				}
				if err := c.Subscribe(ctx, strconv.Itoa(sub), query, map[string]any{"room": room}); err != nil {
					errs <- fmt.Errorf("subscription %d: %w", sub, err)
					return
				}
			}
			go read(c, subs)
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, sockets, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for gw.gauge("gateway_subscriptions_active") < int64(o.subscribers) {
		if time.Now().After(deadline) {
			return nil, sockets, fmt.Errorf("the gateway runs %d of %d subscriptions", gw.gauge("gateway_subscriptions_active"), o.subscribers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return subs, sockets, nil
}

// read stamps each event of a socket as it arrives.
func read(c *gqlws.Client, subs *subscribers) {
	for {
		m, err := c.Next(context.Background())
		at := time.Now()
		if err != nil {
			return
		}
		sub, convErr := strconv.Atoi(m.ID)
		if convErr != nil || sub < 0 || sub >= len(subs.got) {
			subs.problem("a message for operation %q", m.ID)
			continue
		}
		r, _ := m.Decode()
		var data struct {
			ChatMessageReceived struct{ ID string }
		}
		switch {
		case m.Type != "next":
			subs.problem("subscription %d: %s %s", sub, m.Type, m.Payload)
		case len(r.Errors) > 0 || json.Unmarshal(r.Data, &data) != nil || data.ChatMessageReceived.ID == "":
			subs.problem("subscription %d: %s", sub, m.Payload)
		default:
			subs.record(sub, data.ChatMessageReceived.ID, at)
		}
	}
}

type reportFigures struct {
	active, executions, cablesGauge, cablesGaugeAfter int64
	peakRSS, rss                                      int64
	peakConnecting, peakMessages                      int64 // VmHWM while connecting, and while the messages went out
	goroutines                                        int64
	stacks, heap                                      int64            // the gateway's Go stacks and heap in use, at the end
	cpu                                               [3]time.Duration // CPU time of the gateway, the sandbox and the clients while measuring
	measuredFor                                       time.Duration
}

// report checks every delivery against what was sent and prints the
// figures; an error when a subscriber missed, doubled or reordered a
// message, or got one the sandbox never published.
func report(o options, subs *subscribers, sent []string, pushes map[string]time.Time, conns connections, tokenMember []string, f reportFigures) error {
	measured := sent[o.warmup:]
	last := make(map[string]time.Time, len(measured)) // message → last arrival
	var perDelivery []time.Duration
	for sub, got := range subs.got {
		ids := make([]string, len(got))
		for i, d := range got {
			ids[i] = d.id
		}
		if !slices.Equal(ids, sent) {
			return fmt.Errorf("subscriber %d (token %d) received %v, want %v", sub, subs.token[sub], ids, sent)
		}
		for _, d := range got[o.warmup:] {
			push, ok := pushes[d.id]
			if !ok {
				return fmt.Errorf("message %s: the sandbox's log has no push of it", d.id)
			}
			perDelivery = append(perDelivery, d.at.Sub(push))
			if d.at.After(last[d.id]) {
				last[d.id] = d.at
			}
		}
	}
	var fanout []time.Duration
	for _, id := range measured {
		fanout = append(fanout, last[id].Sub(pushes[id]))
	}

	// Cable connections from the sandbox's side: one per token, each
	// member with as many as it has tokens, none dropped during the run.
	want := map[string]int{}
	for _, m := range tokenMember {
		want[m]++
	}
	perMember := true
	for m, n := range want {
		if conns.opened[m] != n {
			perMember = false
		}
	}
	fmt.Println("| figure | target | measured |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| subscriptions running (gateway_subscriptions_active) | %d | %d |\n", o.subscribers, f.active)
	fmt.Printf("| executions resolving their events (gateway_subscription_executions) | — | %d |\n", f.executions)
	fmt.Printf("| upstream cable connections, sandbox side (accepted / closed during the run) | %d | %d / %d (per member as many as its tokens: %v) |\n", o.tokens, conns.total, conns.closed, perMember)
	fmt.Printf("| upstream cable connections, gateway side (gateway_cable_connections_open, after connecting / at the end) | %d | %d / %d |\n", o.tokens, f.cablesGauge, f.cablesGaugeAfter)
	fmt.Printf("| gateway peak RSS (VmHWM, whole run) | ≤ 150 MiB | %.1f MiB (connecting %.1f MiB, during the messages %.1f MiB; at the end: VmRSS %.1f MiB, Go heap in use %.1f MiB, stacks %.1f MiB, %d goroutines) |\n",
		mib(f.peakRSS), mib(f.peakConnecting), mib(f.peakMessages), mib(f.rss), mib(f.heap), mib(f.stacks), f.goroutines)
	fmt.Printf("| fan-out: push → last subscriber, per message (%d) | p99 ≤ 50 ms | p50 %s, p99 %s, max %s |\n", len(fanout), ms(pct(fanout, 50)), ms(pct(fanout, 99)), ms(pct(fanout, 100)))
	fmt.Printf("| push → each subscriber, per delivery (%d) | — | p50 %s, p99 %s, max %s |\n", len(perDelivery), ms(pct(perDelivery, 50)), ms(pct(perDelivery, 99)), ms(pct(perDelivery, 100)))
	fmt.Printf("| deliveries checked: every subscriber got all %d messages once, in order | all | all |\n", len(sent))
	fmt.Printf("| CPU while measuring (%s): gateway / sandbox / clients | — | %.2f s / %.2f s / %.2f s (%.0f %% / %.0f %% / %.0f %% of one core) |\n", f.measuredFor,
		f.cpu[0].Seconds(), f.cpu[1].Seconds(), f.cpu[2].Seconds(), 100*f.cpu[0].Seconds()/f.measuredFor.Seconds(), 100*f.cpu[1].Seconds()/f.measuredFor.Seconds(), 100*f.cpu[2].Seconds()/f.measuredFor.Seconds())
	fmt.Printf("\nOne-minute load average at the end (the machine is shared): %s\n", benchproc.LoadAverage())
	if conns.total != o.tokens || conns.closed != 0 || !perMember || f.cablesGauge != int64(o.tokens) || f.cablesGaugeAfter != int64(o.tokens) {
		return fmt.Errorf("cable connections: sandbox accepted %d (closed %d), gateway gauge %d / %d, want %d", conns.total, conns.closed, f.cablesGauge, f.cablesGaugeAfter, o.tokens)
	}
	return nil
}

// connections is what the sandbox's log says of its cable connections.
type connections struct {
	total, closed int
	opened        map[string]int // by member id
}

// readLiveLog reads the sandbox's -live-log: the first push of each
// message (newMessage, on any stream: the room's is published first), and
// the connections.
func readLiveLog(path string) (map[string]time.Time, connections, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, connections{}, err
	}
	defer f.Close()
	pushes := map[string]time.Time{}
	conns := connections{opened: map[string]int{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			At       int64  `json:"at"`
			Kind     string `json:"kind"`
			Event    string `json:"event"`
			ID       int64  `json:"id"`
			MemberID int64  `json:"member_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, conns, fmt.Errorf("live log: %w", err)
		}
		switch l.Kind {
		case "publish":
			id := strconv.FormatInt(l.ID, 10)
			if _, seen := pushes[id]; !seen && l.Event == "newMessage" {
				pushes[id] = time.Unix(0, l.At)
			}
		case "connect":
			conns.total++
			conns.opened[strconv.FormatInt(l.MemberID, 10)]++
		case "disconnect":
			conns.closed++
		}
	}
	return pushes, conns, sc.Err()
}

// gatewayClient sends GraphQL operations and reads metrics.
type gatewayClient struct {
	url  string
	http *http.Client
}

func (g *gatewayClient) do(token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, g.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &r) != nil || len(r.Errors) > 0 {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

func (g *gatewayClient) memberIDs(token string) ([]string, error) {
	var out struct {
		Members struct{ Nodes []struct{ ID string } }
	}
	if err := g.do(token, `{ members(first: 100) { nodes { id } } }`, nil, &out); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	var ids []string
	for _, n := range out.Members.Nodes {
		ids = append(ids, n.ID)
	}
	if len(ids) < 2 {
		return nil, fmt.Errorf("members: %d", len(ids))
	}
	return ids, nil
}

func (g *gatewayClient) createRoom(token string, others []string) (string, error) {
	var out struct {
		CreateChatRoom struct {
			ChatRoom struct{ UUID string }
		}
	}
	err := g.do(token, `mutation($ids: [ID!]!) { createChatRoom(memberIds: $ids) { chatRoom { uuid } } }`, map[string]any{"ids": others}, &out)
	if err != nil || out.CreateChatRoom.ChatRoom.UUID == "" {
		return "", fmt.Errorf("createChatRoom: %v", err)
	}
	return out.CreateChatRoom.ChatRoom.UUID, nil
}

// gauge reads one unlabelled metric of the gateway's /metrics (-1 when it
// is missing).
func (g *gatewayClient) gauge(name string) int64 {
	resp, err := g.http.Get(g.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return int64(v)
		}
	}
	return -1
}

// pct is the p-th percentile of ds (nearest rank; 100 is the maximum).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
