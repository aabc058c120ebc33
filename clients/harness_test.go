package clients

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/circle-gateway/gateway/internal/logbuf"
)

// binDir holds the gateway binary built for this package's tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gateway-clients-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// tool is something a test needs from the machine.
type tool int

const (
	nodeTools tool = iota // node and clients/node_modules (npm ci)
	browser               // Debian's chromium
)

// need skips the test when a tool is missing, or fails it when CI is set:
// CI installs everything (.ci/run), so a missing tool there is a bug, never
// a reason to pass.
func need(t *testing.T, tools ...tool) {
	t.Helper()
	var missing []string
	for _, tl := range tools {
		switch tl {
		case nodeTools:
			if _, err := exec.LookPath("node"); err != nil {
				missing = append(missing, "node (Node.js 20+)")
			} else if _, err := os.Stat(filepath.Join("node_modules", ".package-lock.json")); err != nil {
				missing = append(missing, "clients/node_modules (run `npm ci` in clients/)")
			}
		case browser:
			if _, err := os.Stat(chromiumPath()); err != nil {
				missing = append(missing, "Chromium at "+chromiumPath()+" (apt-get install -y chromium, or set CHROMIUM_PATH)")
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing " + strings.Join(missing, ", ")
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: CI must run this test (.ci/run installs them)", msg)
	}
	t.Skip(msg)
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// artifactsDir is where tests leave screenshots: $ARTIFACTS_DIR, else
// clients/artifacts (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = "artifacts"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	buildOnce sync.Once
	buildErr  error
)

// gatewayBinary builds the gateway (the repository's main package) once.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "gateway")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// gateway is the real gateway binary running as its own process.
type gateway struct {
	// URL is its base URL (http://127.0.0.1:port).
	URL string
	// Token is the demo member access token its sandbox announced.
	Token string
	// ServiceKey is the createMemberToken key the sandbox generated and
	// announced (GATEWAY_SERVICE_KEY is never passed through to it).
	ServiceKey string
	// SampleSubscription is the subscription the startup log suggests.
	SampleSubscription string
	logs               *logbuf.Buffer
}

// ownSettings are the variables the tests set themselves; the rest of the
// environment is passed through.
var ownSettings = []string{"PORT", "LOG_FORMAT", "FEDERATION", "CIRCLE_API_URL", "CIRCLE_HEADLESS_AUTH_TOKEN", "CORS_ALLOWED_ORIGINS", "PERSISTED_OPERATIONS_FILE", "PERSISTED_OPERATIONS_ONLY", "INTROSPECTION", "GATEWAY_SERVICE_KEY"}

func gatewayCommand(t *testing.T, settings map[string]string) *exec.Cmd {
	cmd := exec.Command(gatewayBinary(t))
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !contains(ownSettings, name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PORT=0", "LOG_FORMAT=json")
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// startGateway runs the gateway in sandbox mode with extra settings, waits
// until it listens, and stops it (SIGTERM) when the test ends.
func startGateway(t *testing.T, settings map[string]string) *gateway {
	t.Helper()
	cmd := gatewayCommand(t, settings)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{logs: &logbuf.Buffer{}}
	cmd.Stderr = g.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	listening := make(chan string, 1)
	// What the sandbox announces before "gateway listening": the demo
	// token, the service key, the sample subscription.
	announced := make(chan string, 1)
	serviceKey := make(chan string, 1)
	sample := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = g.logs.Write([]byte(line + "\n"))
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			msg, _ := rec["msg"].(string)
			if auth, ok := rec["authorization"].(string); ok && strings.HasPrefix(msg, "sandbox demo member access token") {
				select {
				case announced <- strings.TrimPrefix(auth, "Bearer "):
				default:
				}
			}
			if key, ok := rec["x_service_key"].(string); ok {
				select {
				case serviceKey <- key:
				default:
				}
			}
			if _, sub, ok := strings.Cut(msg, "): "); ok && strings.HasPrefix(msg, "sample subscription") {
				select {
				case sample <- sub:
				default:
				}
			}
			if addr, ok := rec["addr"].(string); ok && msg == "gateway listening" {
				listening <- addr
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.logs.String())
		}
	})
	select {
	case addr := <-listening:
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("listening address %q: %v", addr, err)
		}
		g.URL = "http://127.0.0.1:" + port
	case err := <-exited:
		t.Fatalf("gateway exited at start: %v\n%s", err, g.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("gateway did not start in 60s:\n%s", g.logs.String())
	}
	select {
	case g.Token = <-announced:
	default:
		t.Fatalf("the sandbox announced no demo token:\n%s", g.logs.String())
	}
	select {
	case g.ServiceKey = <-serviceKey:
	default:
		if _, set := settings["GATEWAY_SERVICE_KEY"]; !set {
			t.Fatalf("the sandbox announced no service key:\n%s", g.logs.String())
		}
	}
	select {
	case g.SampleSubscription = <-sample:
	default:
		t.Fatalf("the startup log suggests no subscription:\n%s", g.logs.String())
	}
	return g
}

// startFails runs the gateway with settings that must stop it at start, and
// returns what it printed.
func startFails(t *testing.T, settings map[string]string) string {
	t.Helper()
	cmd := gatewayCommand(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case <-done:
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
		t.Fatalf("gateway did not refuse to start (err %v):\n%s", err, out)
	}
	return string(out)
}

// graphqlResponse is a decoded GraphQL response with its HTTP status.
type graphqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r graphqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// post sends a JSON body to /graphql as the demo member.
func (g *gateway) post(t *testing.T, body map[string]any) graphqlResponse {
	t.Helper()
	return g.postWith(t, map[string]string{"Authorization": "Bearer " + g.Token}, body)
}

// postWith sends a JSON body to /graphql with these headers.
func (g *gateway) postWith(t *testing.T, headers map[string]string, body map[string]any) graphqlResponse {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, g.URL+"/graphql", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := graphqlResponse{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %d is not GraphQL JSON: %s", resp.StatusCode, raw)
	}
	return out
}

// runNode runs a Node.js tool in clients/ and returns its stdout; it fails
// the test, showing all output, when the tool fails.
func runNode(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, err := runNodeErr(t, env, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// runNodeErr is runNode for tools whose failure is expected.
func runNodeErr(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out logbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// lastJSON decodes the last line of a browser script's output, its summary.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var v map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("no JSON summary in the output:\n%s", out)
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
