package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/hostile"
	"github.com/circle-gateway/gateway/internal/logbuf"
	"github.com/circle-gateway/gateway/internal/testenv"
	"github.com/circle-gateway/gateway/internal/testjwt"
)

// startRun runs the gateway in-process (run, as main does) with env and
// PORT=0, and returns its base URL, its log and a stop function that ends
// it as SIGTERM would and reports run's error.
func startRun(t *testing.T, env map[string]string) (base string, logs *logbuf.Buffer, stop func() error) {
	t.Helper()
	env["PORT"] = "0"
	logs = &logbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, logs, ready) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("gateway did not stop")
		}
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr := <-ready:
		return "http://" + strings.Replace(addr, "[::]", "127.0.0.1", 1), logs, stop
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not start")
	}
	return "", nil, nil
}

// `go run .` with no settings: sandbox mode, a printed demo token that
// works, the printed sample query, Playground and SDL served, and a clean
// stop when the context ends (as on SIGTERM).
func TestRunSandboxMode(t *testing.T) {
	base, logs, stop := startRun(t, map[string]string{})

	token := regexp.MustCompile(`authorization="Bearer ([A-Za-z0-9_\-.]+)"`).FindStringSubmatch(logs.String())
	if token == nil {
		t.Fatalf("no demo token in the startup log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "sample query") || !strings.Contains(logs.String(), "x_service_key=") {
		t.Fatalf("startup log lacks the sample query or the service key:\n%s", logs.String())
	}

	body, _ := json.Marshal(map[string]string{"query": sampleQuery})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Data struct {
			Me       struct{ Name string }
			HomeFeed struct{ Nodes []struct{ Title string } }
		}
		Errors []any
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 || out.Data.Me.Name == "" || len(out.Data.HomeFeed.Nodes) == 0 {
		t.Fatalf("sample query answered %s", raw)
	}

	for path, want := range map[string]string{"/": "graphiql", "/schema.graphql": "type Query", "/healthz": "ok"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), strings.ToLower(want)) {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, b)
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	env := map[string]string{"PORT": "http", "UPSTREAM_TIMEOUT": "soon", "CIRCLE_API_URL": "ftp://x"}
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard, nil)
	if err == nil {
		t.Fatal("started with a bad configuration")
	}
	for _, name := range []string{"PORT", "UPSTREAM_TIMEOUT", "CIRCLE_API_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

// On SIGTERM the gateway stops accepting, lets in-flight operations finish
// (here: one waiting on an upstream call that Circle answers only once the
// gateway has said it is draining) and exits 0.
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	bin := buildGateway(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	defer released.Do(func() { close(release) })
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(inFlight) })
		<-release // a slow Circle: it answers when the test says
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":101,"user_id":5001,"name":"Slow Member","roles":{"admin":false}}`)
	}))
	defer upstream.Close()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "LOG_FORMAT=json", "CIRCLE_API_URL="+upstream.URL, "CIRCLE_HEADLESS_AUTH_TOKEN=app-token-for-test")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	addr, draining := make(chan string, 1), make(chan struct{})
	var logs logbuf.Buffer
	go func() {
		sc := bufio.NewScanner(stdout)
		drainLogged := false
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch {
			case line.Msg == "gateway listening":
				addr <- line.Addr
			case strings.Contains(line.Msg, "draining") && !drainLogged:
				drainLogged = true
				close(draining)
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		_, port, _ := net.SplitHostPort(a)
		base = "http://127.0.0.1:" + port
	case <-time.After(20 * time.Second):
		t.Fatalf("gateway did not start:\n%s", logs.String())
	}

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		body, _ := json.Marshal(map[string]string{"query": "{ me { name } }"})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testjwt.Member(t, 101))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-draining:
	case <-time.After(20 * time.Second):
		t.Fatalf("the gateway never said it was draining:\n%s", logs.String())
	}
	released.Do(func() { close(release) }) // only now does Circle answer
	res := <-done
	if res.err != nil || res.status != 200 || !strings.Contains(res.body, "Slow Member") {
		t.Fatalf("in-flight request: %+v", res)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not exit after draining")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("no drain message in the log:\n%s", logs.String())
	}
}

// gateway is the binary these tests run, built once per test run.
var gateway hostile.Binary

// buildGateway builds the gateway binary once per test run.
func buildGateway(t *testing.T) string {
	t.Helper()
	return gateway.Path(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	gateway.Remove()
	os.Exit(code)
}

// gatewayProcess is a gateway binary running in sandbox mode.
type gatewayProcess struct {
	base  string
	token string
}

// startGateway runs the binary with env (sandbox mode, JSON logs) and
// returns its address and demo token; it is killed when the test ends.
func startGateway(t *testing.T, env ...string) gatewayProcess {
	t.Helper()
	g, err := hostile.Start(buildGateway(t), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	return gatewayProcess{base: g.URL, token: g.LoggedToken()}
}

// post sends a GraphQL body to the process.
func (p gatewayProcess) post(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/graphql", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Two gateway processes sharing REDIS_URL: a query registered through A
// runs by hash alone through B.
func TestAPQAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary")
	}
	redisURL := testenv.Redis(t)
	a := startGateway(t, "REDIS_URL="+redisURL)
	b := startGateway(t, "REDIS_URL="+redisURL)
	// A query text of its own per run, so a long-lived REDIS_URL cannot
	// already know its hash.
	query := fmt.Sprintf("query Shared { me { name } } # run %d", time.Now().UnixNano())
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	if out := b.post(t, map[string]any{"extensions": ext}); out["errors"] == nil {
		t.Fatalf("B knew the hash before anyone registered it: %v", out)
	}
	if out := a.post(t, map[string]any{"query": query, "extensions": ext}); out["errors"] != nil {
		t.Fatalf("A: %v", out)
	}
	out := b.post(t, map[string]any{"extensions": ext})
	if out["errors"] != nil || !strings.Contains(fmt.Sprint(out["data"]), "Demo Member") {
		t.Fatalf("B by hash: %v", out)
	}
}

// Unwise but working settings start, with a warning that names the setting
// and never its value.
func TestRunWarnsAboutWeakSecrets(t *testing.T) {
	_, logs, _ := startRun(t, map[string]string{"GATEWAY_SERVICE_KEY": "tiny-key", "ID_TOKEN_HS256_SECRET": "tiny-secret"})
	out := logs.String()
	for _, want := range []string{"GATEWAY_SERVICE_KEY has fewer than", "ID_TOKEN_HS256_SECRET has 11 bytes"} {
		if !strings.Contains(out, want) {
			t.Errorf("startup log lacks %q", want)
		}
	}
	if strings.Contains(out, "tiny-secret") {
		t.Error("the log quotes the HS256 secret")
	}
	// Sandbox mode prints the service key it makes up, never one the
	// operator set.
	if strings.Contains(out, "tiny-key") {
		t.Error("the log quotes the operator's GATEWAY_SERVICE_KEY")
	}
}

// A client that stops sending its body halfway is cut off after
// REQUEST_TIMEOUT instead of holding its connection forever.
func TestSlowBodyIsCutOff(t *testing.T) {
	base, _, _ := startRun(t, map[string]string{"REQUEST_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	start := time.Now()
	got, err := io.ReadAll(conn) // an answer, then the close, or just the close
	t.Logf("%v %q %v", time.Since(start), got, err)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", time.Since(start))
	}
}
