// Command loadtest measures the gateway under load, on loopback only:
// throughput, p50/p99 latency and the gateway's peak RSS for the reference
// queries (internal/refqueries, the same the budget tests run) at several
// client counts, next to the same load sent straight to
// the upstream's REST endpoint (the floor the gateway is compared with).
//
// The upstream (cmd/circle-sandbox, with a simulated latency) and the
// gateway run as separate processes, built from this checkout, so the
// figures are the gateway's own. Every scenario is bounded in time.
//
//	go run ./cmd/loadtest                    # the full run (about two minutes)
//	go run ./cmd/loadtest -duration 2s -clients 16
//	go run ./cmd/loadtest -relay -only feed  # with the reverse-proxy row (relay.go)
//
// The gateway runs with CIRCLE_RATE_LIMIT=off (the production limit, 2000
// calls per 5 minutes, would throttle any load test) and
// UNPROVEN_CLIENT_RATE_LIMIT=off (every client of the test comes from one
// address, and with -members 64 more new tokens arrive at once than the
// per-address default of 60 lets through), and otherwise its defaults.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/circle-gateway/gateway/internal/benchproc"
	"github.com/circle-gateway/gateway/internal/refqueries"
)

// floorPath is the REST call behind the feed: the least any client of
// Circle pays for the same page.
const floorPath = "/api/headless/v1/home?page=1&per_page=20"

const appToken = "loadtest-app-token"

type options struct {
	duration    time.Duration
	warmup      time.Duration
	clients     []int
	latencies   []time.Duration
	only        string
	concurrency string
	gatewayEnv  []string
	members     int
	rounds      int
	profileDir  string
	relay       bool
}

func main() {
	var o options
	clients := flag.String("clients", "1,16,64", "comma-separated client counts")
	latencies := flag.String("latency", "0ms,100ms", "comma-separated simulated upstream latencies")
	flag.DurationVar(&o.duration, "duration", 4*time.Second, "measuring time per scenario")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "warm-up time per scenario (not measured)")
	flag.StringVar(&o.only, "only", "", "run only the query of this name (feed, feed+comments, …), or when none has it, the queries whose name contains it")
	flag.StringVar(&o.concurrency, "upstream-concurrency", "", "UPSTREAM_CONCURRENCY for the gateway (default: its own default, 32)")
	flag.IntVar(&o.members, "members", 1, "distinct member tokens the clients share (client i uses token i mod members); the gateway shares in-flight GETs only within one token")
	flag.IntVar(&o.rounds, "rounds", 1, "measure every row this many times, interleaving the floor and the gateway (noisy machines)")
	flag.StringVar(&o.profileDir, "profile", "", "build the gateway with the \"profile\" tag and have it write gateway-<latency>.cpu.pprof and .allocs.pprof into this directory when it stops, and gateway-<latency>.heap.pprof (what is live) and .goroutine.pprof in the middle of every gateway row (each overwrites the last)")
	gatewayEnv := flag.String("gateway-env", "", "extra KEY=VALUE settings for the gateway process only, comma-separated (e.g. GOGC=100)")
	flag.BoolVar(&o.relay, "relay", false, "also measure the floor's request through a plain reverse proxy (relay.go): the most any gateway could reach here")
	serveRelayAt := flag.String("serve-relay", "", "internal: serve the relay at this address, to -relay-upstream")
	relayUpstream := flag.String("relay-upstream", "", "internal: the upstream of -serve-relay")
	flag.Parse()
	if *serveRelayAt != "" {
		fatal(serveRelay(*serveRelayAt, *relayUpstream))
	}
	var err error
	if *gatewayEnv != "" {
		o.gatewayEnv = strings.Split(*gatewayEnv, ",")
	}
	if o.members < 1 || o.rounds < 1 {
		fatal(fmt.Errorf("-members and -rounds must be at least 1"))
	}
	if o.clients, err = parseInts(*clients); err != nil {
		fatal(err)
	}
	for _, s := range strings.Split(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			fatal(fmt.Errorf("-latency: %w", err))
		}
		o.latencies = append(o.latencies, d)
	}
	if err := run(o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadtest:", err)
	os.Exit(1)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "loadtest")
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

	fmt.Printf("# Load test %s, GOMAXPROCS of this machine: %d cores\n\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU())
	fmt.Printf("Each scenario: %s warm-up, then %s measured. Gateway and upstream are separate processes on loopback.\n\n", o.warmup, o.duration)
	for _, latency := range o.latencies {
		if err := runLatency(o, latency, gatewayBin, sandboxBin, dir); err != nil {
			return err
		}
	}
	return nil
}

func runLatency(o options, latency time.Duration, gatewayBin, sandboxBin, dir string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	upPort, gwPort, err := benchproc.FreePorts()
	if err != nil {
		return err
	}
	upURL := fmt.Sprintf("http://127.0.0.1:%d", upPort)
	gwURL := fmt.Sprintf("http://127.0.0.1:%d", gwPort)

	sandbox := exec.CommandContext(ctx, sandboxBin, "-addr", fmt.Sprintf("127.0.0.1:%d", upPort), "-latency", latency.String(), "-app-token", appToken, "-quiet")
	if err := benchproc.Serve("upstream", sandbox, upURL+"/api/headless/v1/spaces"); err != nil {
		return err
	}
	defer benchproc.Stop(sandbox)
	tokens := make([]string, o.members)
	for i := range tokens {
		if tokens[i], err = demoToken(upURL); err != nil {
			return err
		}
	}

	logFile, err := os.Create(filepath.Join(dir, "gateway.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	gateway := exec.CommandContext(ctx, gatewayBin)
	gateway.Env = append(os.Environ(), "PORT="+strconv.Itoa(gwPort), "CIRCLE_API_URL="+upURL, "CIRCLE_HEADLESS_AUTH_TOKEN="+appToken,
		"CIRCLE_RATE_LIMIT=off", "UNPROVEN_CLIENT_RATE_LIMIT=off", "LOG_FORMAT=json")
	if o.concurrency != "" {
		gateway.Env = append(gateway.Env, "UPSTREAM_CONCURRENCY="+o.concurrency)
	}
	gateway.Env = append(gateway.Env, o.gatewayEnv...)
	if o.profileDir != "" {
		base := filepath.Join(o.profileDir, "gateway-"+latency.String())
		gateway.Env = append(gateway.Env, "GATEWAY_CPUPROFILE="+base+".cpu.pprof", "GATEWAY_MEMPROFILE="+base+".allocs.pprof", "GATEWAY_HEAPPROFILE="+base+".heap.pprof", "GATEWAY_GOROUTINEPROFILE="+base+".goroutine.pprof")
	}
	gateway.Stdout, gateway.Stderr = logFile, os.Stderr
	if err := gateway.Start(); err != nil {
		return err
	}
	defer benchproc.Stop(gateway)
	if err := benchproc.WaitHTTP(gwURL + "/healthz"); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}

	targets := []target{{name: "floor: GET /home (REST, direct)", do: restCall(upURL+floorPath, tokens), kind: floorRow, middle: gateway.Process.Pid}}
	if o.relay {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		relayPort, err := benchproc.FreePort()
		if err != nil {
			return err
		}
		relayURL := fmt.Sprintf("http://127.0.0.1:%d", relayPort)
		relay := exec.CommandContext(ctx, self, "-serve-relay", fmt.Sprintf("127.0.0.1:%d", relayPort), "-relay-upstream", upURL)
		if err := benchproc.Serve("relay", relay, relayURL+"/api/headless/v1/spaces"); err != nil {
			return err
		}
		defer benchproc.Stop(relay)
		targets = append(targets, target{name: relayName, do: restCall(relayURL+floorPath, tokens), kind: relayRow, middle: relay.Process.Pid})
	}

	rssOf := &peakRSS{pid: gateway.Process.Pid}
	fmt.Printf("## Upstream latency %s, %d member token(s)\n\n", latency, o.members)
	fmt.Println("CPU/request is the CPU time (user + system) each process spent per answered request during the row, warm-up included: unlike throughput, it hardly moves when other work shares the machine.")
	fmt.Println()
	fmt.Println("| target | clients | requests | throughput (req/s) | p50 | p99 | errors | upstream calls/request | gateway peak RSS | CPU/request: gateway (relay's in its row), upstream, load generator | load average |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	exact := slices.ContainsFunc(refqueries.All, func(q refqueries.Query) bool { return q.Name == o.only })
	for _, q := range refqueries.All {
		if o.only != "" && (exact && q.Name != o.only || !exact && !strings.Contains(q.Name, o.only)) {
			continue
		}
		targets = append(targets, target{name: q.Name, do: graphqlCall(gwURL+"/graphql", tokens, q.Query), kind: gatewayRow, middle: gateway.Process.Pid})
	}
	// ratios[clients][query] holds gateway/floor throughput per round.
	ratios := map[int]map[string][]float64{}
	var midRow []string // the gateway's memory in the middle of each gateway row
	for _, c := range o.clients {
		ratios[c] = map[string][]float64{}
		for round := range o.rounds {
			var floorThroughput float64
			for _, t := range targets {
				rssOf.reset()
				calls0 := upstreamCalls(gwURL)
				cpu0 := [3]time.Duration{benchproc.CPUTime(t.middle), benchproc.CPUTime(sandbox.Process.Pid), benchproc.CPUTime(os.Getpid())}
				var mid func()
				if t.kind == gatewayRow {
					mid = func() {
						midRow = append(midRow, fmt.Sprintf("- %s, %d clients, round %d: %s", t.name, c, round+1, memoryNow(gwURL, gateway.Process.Pid)))
						if o.profileDir != "" {
							// What is live with every client's operation in progress.
							_ = gateway.Process.Signal(syscall.SIGUSR1)
						}
					}
				}
				res := measure(t.do, c, o.warmup, o.duration, mid)
				cpu := fmt.Sprintf("%s, %s, %s", perRequest(benchproc.CPUTime(t.middle)-cpu0[0], res.total), perRequest(benchproc.CPUTime(sandbox.Process.Pid)-cpu0[1], res.total), perRequest(benchproc.CPUTime(os.Getpid())-cpu0[2], res.total))
				rss, callsPerRequest := "—", "1 (by definition)"
				switch t.kind {
				case floorRow:
					floorThroughput = res.throughput
				case relayRow:
					ratios[c][t.name] = append(ratios[c][t.name], res.throughput/floorThroughput)
				default:
					rss = fmt.Sprintf("%.1f MiB", float64(rssOf.read())/(1<<20))
					callsPerRequest = fmt.Sprintf("%.2f", float64(upstreamCalls(gwURL)-calls0)/float64(max(res.total, 1)))
					ratios[c][t.name] = append(ratios[c][t.name], res.throughput/floorThroughput)
				}
				name := t.name
				if o.rounds > 1 {
					name = fmt.Sprintf("%s (round %d)", name, round+1)
				}
				fmt.Printf("| %s | %d | %d | %.0f | %s | %s | %d | %s | %s | %s | %s |\n", name, c, res.count, res.throughput, ms(res.p50), ms(res.p99), res.errors, callsPerRequest, rss, cpu, benchproc.LoadAverage())
			}
		}
	}
	fmt.Printf("\nGateway throughput as a share of the floor's (median over %d round(s)):\n\n", o.rounds)
	for _, c := range o.clients {
		for _, t := range targets[1:] {
			r := slices.Clone(ratios[c][t.name])
			slices.Sort(r)
			fmt.Printf("- %s, %d clients: %.2f × (rounds: %.2f)\n", t.name, c, r[len(r)/2], ratios[c][t.name])
		}
	}
	fmt.Printf("\nThe gateway's memory in the middle of each of its rows (its /metrics):\n\n%s\n", strings.Join(midRow, "\n"))
	fmt.Printf("\nGateway peak RSS over the whole run at %s: %.1f MiB\n\n", latency, float64(rssOf.lifetime)/(1<<20))
	return nil
}

// target is one row: what the clients call, and through what.
type target struct {
	name string
	do   func(c *http.Client, client int) error
	kind rowKind
	// middle is the process whose CPU the row's first column shows: the
	// one between the clients and the upstream (the gateway's for the
	// floor, which goes around it).
	middle int
}

// rowKind says what a row measures: the floor every other row is a share
// of, the relay (relay.go), or the gateway, whose memory and upstream calls
// are read too.
type rowKind int

const (
	floorRow rowKind = iota
	relayRow
	gatewayRow
)

type result struct {
	total      int // requests sent, warm-up included
	count      int
	errors     int
	throughput float64
	p50, p99   time.Duration
}

// measure runs do from n clients: a warm-up, then a measured window; mid,
// when not nil, runs once in the middle of the window.
func measure(do func(c *http.Client, client int) error, n int, warmup, window time.Duration, mid func()) result {
	// DisableCompression: the load generator does not ask for gzip, so the
	// gateway answers uncompressed (RESPONSE_COMPRESSION), like the floor's
	// upstream: the rows compare the same bytes on the wire.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxIdleConns: n, IdleConnTimeout: time.Minute, DisableCompression: true}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var measuring atomic.Bool
	var errs, total atomic.Int64
	var firstErr sync.Once
	lat := make([][]time.Duration, n)
	deadline := time.Now().Add(warmup + window)
	go func() { time.Sleep(warmup); measuring.Store(true) }()
	midDone := make(chan struct{})
	go func() {
		defer close(midDone)
		if mid != nil {
			time.Sleep(warmup + window/2)
			mid()
		}
	}()
	var wg sync.WaitGroup
	var start, end time.Time
	var once sync.Once
	for i := range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := do(client, i)
				total.Add(1)
				d := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				once.Do(func() { start = t0 })
				if err != nil {
					errs.Add(1)
					firstErr.Do(func() { fmt.Fprintf(os.Stderr, "loadtest: first error of the row: %v\n", err) })
					continue
				}
				lat[i] = append(lat[i], d)
			}
		})
	}
	wg.Wait()
	end = time.Now()
	<-midDone
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := result{total: int(total.Load()), count: len(all), errors: int(errs.Load())}
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
		r.throughput = float64(len(all)) / end.Sub(start).Seconds()
	}
	return r
}

func graphqlCall(url string, tokens []string, query string) func(*http.Client, int) error {
	body, _ := json.Marshal(map[string]string{"query": query})
	return func(c *http.Client, client int) error {
		token := tokens[client%len(tokens)]
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return check(c.Do(req))
	}
}

func restCall(url string, tokens []string) func(*http.Client, int) error {
	return func(c *http.Client, client int) error {
		token := tokens[client%len(tokens)]
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return check(c.Do(req))
	}
}

func check(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"errors":`)) {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// memoryNow renders the gateway's goroutines, stacks and heap as its
// /metrics reports them now (Go's runtime figures), and its open files
// (mostly connections: the clients' and its own to the upstream).
func memoryNow(gwURL string, pid int) string {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	m := gauges(gwURL, "go_goroutines", "go_memstats_stack_inuse_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes", "go_memstats_sys_bytes")
	mib := func(v float64) string { return fmt.Sprintf("%.1f MiB", v/(1<<20)) }
	return fmt.Sprintf("%d open files, %.0f goroutines, stacks %s, heap in use %s, next GC at %s, from the OS %s",
		len(fds), m["go_goroutines"], mib(m["go_memstats_stack_inuse_bytes"]), mib(m["go_memstats_heap_inuse_bytes"]), mib(m["go_memstats_next_gc_bytes"]), mib(m["go_memstats_sys_bytes"]))
}

// gauges reads the named unlabelled metrics from the gateway's /metrics.
func gauges(gwURL string, names ...string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(gwURL + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && slices.Contains(names, name) {
			out[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	return out
}

// upstreamCalls is the gateway's count of calls it sent to the upstream so
// far (gateway_upstream_calls_total over all labels), from its /metrics.
func upstreamCalls(gwURL string) int64 {
	resp, err := http.Get(gwURL + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var n float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "gateway_upstream_calls_total{"); ok {
			fields := strings.Fields(rest)
			v, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
			n += v
		}
	}
	return int64(n)
}

// demoToken signs in the sandbox's demo member through its Auth API.
func demoToken(upURL string) (string, error) {
	return benchproc.MemberToken(upURL, appToken, map[string]any{"sso_user_id": "demo-user"})
}

// peakRSS reads a process's peak resident set size (Linux VmHWM) and
// keeps the largest it has read: the kernel's mark is reset before each
// scenario, so the whole run's peak is tracked here. One per gateway
// process, used from one goroutine.
type peakRSS struct {
	pid      int
	lifetime int64
}

// reset resets the kernel's peak-RSS mark (/proc/<pid>/clear_refs, value
// 5), so the next reading covers one scenario.
func (p *peakRSS) reset() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0)
}

// read is the peak in bytes since the last reset.
func (p *peakRSS) read() int64 {
	v := benchproc.StatusField(p.pid, "VmHWM:")
	p.lifetime = max(p.lifetime, v)
	return v
}

// perRequest renders d spread over n requests, in microseconds.
func perRequest(d time.Duration, n int) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(max(n, 1))/float64(time.Microsecond))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
