// Package hostile runs the built gateway binary as an attacker meets it:
// a real process on a loopback port, in front of a Circle double that
// records every call and can be told to misbehave (huge answers, wrong
// shapes, latency, refused credentials). The hostile-traffic suite
// (e2e/hostile_*_test.go) and the mixed soak (cmd/soak) are built on it.
//
// Everything it starts listens on 127.0.0.1 only and is stopped by its
// owner; nothing here runs longer than the caller's context or test.
package hostile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/logbuf"
)

// Binary builds the gateway on first use and shares it among one test
// binary's tests, so a package's tests compile it once; Remove (from
// TestMain, after the tests ran) deletes it.
type Binary struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Path is the built binary, or the test's failure if it did not build.
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "gateway-bin"); b.err == nil {
			b.bin, b.err = Build(b.dir)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.bin
}

// Remove deletes what Path built.
func (b *Binary) Remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// Build compiles the gateway (the module's main package) into dir and
// returns the binary's path.
func Build(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gateway")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the gateway: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the module this package belongs to.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Gateway is a running gateway process.
type Gateway struct {
	// URL is its base URL on loopback; GraphQL is at URL + "/graphql".
	URL string
	// Addr is the address it says it listens on (its "gateway listening"
	// log line), e.g. "127.0.0.1:41234" or "[::]:41234".
	Addr string
	// Logs holds everything it wrote to stdout (JSON log lines).
	Logs *logbuf.Buffer

	cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited is closed
}

// startTimeout bounds how long a gateway may take to say it listens.
const startTimeout = 30 * time.Second

// Start runs bin with env added to this process's environment, less any
// REDIS_URL (PORT=0 and LOG_FORMAT=json are set first, so env may override
// them), and returns once it listens.
func Start(bin string, env ...string) (*Gateway, error) {
	cmd := exec.Command(bin)
	// Only what the scenario sets: an inherited REDIS_URL (CI sets one)
	// would share the budget and caches with whoever else uses it.
	var inherited []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REDIS_URL=") {
			inherited = append(inherited, kv)
		}
	}
	cmd.Env = append(append(inherited, "PORT=0", "LOG_FORMAT=json"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &Gateway{Logs: &logbuf.Buffer{}, cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			_, _ = g.Logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "gateway listening" {
				listening <- line.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		g.err = cmd.Wait()
		close(g.exited)
	}()
	select {
	case addr := <-listening:
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			g.Kill()
			return nil, fmt.Errorf("gateway listens on %q: %w", addr, err)
		}
		g.Addr, g.URL = addr, "http://127.0.0.1:"+port
		return g, nil
	case <-g.exited:
		return nil, fmt.Errorf("gateway exited before listening: %v\n%s", g.err, g.Logs.String())
	case <-time.After(startTimeout):
		g.Kill()
		return nil, fmt.Errorf("gateway did not listen within %v:\n%s", startTimeout, g.Logs.String())
	}
}

// PID is the process id.
func (g *Gateway) PID() int { return g.cmd.Process.Pid }

// Signal sends sig to the process.
func (g *Gateway) Signal(sig os.Signal) error { return g.cmd.Process.Signal(sig) }

// Wait waits for the process to exit (or ctx to end) and returns how it
// exited.
func (g *Gateway) Wait(ctx context.Context) error {
	select {
	case <-g.exited:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kill ends the process at once and waits for it.
func (g *Gateway) Kill() {
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.exited
}

// Memory is the process's resident memory, from /proc.
type Memory struct {
	// RSS is the resident set now (VmRSS), in bytes.
	RSS int64
	// Peak is the largest resident set the process has had (VmHWM).
	Peak int64
}

// Memory reads /proc/<pid>/status.
func (g *Gateway) Memory() (Memory, error) { return ReadMemory(g.PID()) }

// ReadMemory reads the resident memory of process pid from /proc.
func ReadMemory(pid int) (Memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for line := range strings.SplitSeq(string(raw), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.Peak = kb << 10
		}
	}
	if m.RSS == 0 || m.Peak == 0 {
		return Memory{}, fmt.Errorf("/proc/%d/status has no VmRSS or VmHWM", pid)
	}
	return m, nil
}

// Metric returns the sum of the samples of a Prometheus metric (all label
// sets) that /metrics serves now; a metric not served yet counts 0.
func (g *Gateway) Metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric whose name starts with this one
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// Response is a GraphQL answer as a client sees it.
type Response struct {
	// Status is the HTTP status.
	Status int
	// Size is the body's length in bytes.
	Size int
	// Data is the raw data member.
	Data json.RawMessage `json:"data"`
	// Errors are the GraphQL errors.
	Errors []Error `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Codes lists the codes of r's errors.
func (r Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// Post sends one GraphQL operation with client (http.DefaultClient when
// nil) as the member holding token ("" for none) and decodes the answer.
func (g *Gateway) Post(ctx context.Context, client *http.Client, token, query string, vars map[string]any) (Response, error) {
	return PostGraphQL(ctx, client, g.URL+"/graphql", token, query, vars)
}

// PostGraphQL posts one operation to a GraphQL endpoint and decodes the
// answer; an answer that is not GraphQL JSON is an error.
func PostGraphQL(ctx context.Context, client *http.Client, endpoint, token, query string, vars map[string]any) (Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: resp.StatusCode, Size: len(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("answer %d is not GraphQL JSON: %.200s", resp.StatusCode, raw)
	}
	return out, nil
}

// errStopped is what WaitFor reports when the process exits first.
var errStopped = errors.New("gateway exited")

// WaitFor polls cond every interval until it holds, ctx ends, or the
// process exits: a bounded wait for an event the process reports (a
// metric, /proc), never a sleep standing in for one.
func (g *Gateway) WaitFor(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.exited:
			return errStopped
		case <-t.C:
		}
	}
}

// LoggedToken is the demo member token sandbox mode logs at start (the
// Authorization of its sample request), "" when none was logged.
func (g *Gateway) LoggedToken() string {
	for line := range strings.SplitSeq(g.Logs.String(), "\n") {
		var l struct{ Authorization string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Authorization != "" {
			return strings.TrimPrefix(l.Authorization, "Bearer ")
		}
	}
	return ""
}
