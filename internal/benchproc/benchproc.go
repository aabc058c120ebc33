// Package benchproc runs the gateway and the sandbox as processes of their
// own for the load commands (cmd/loadtest, cmd/subbench): building them
// from the checkout, waiting for them to serve, stopping them, and reading
// what /proc says of them. It is for loopback benchmarks only, never for
// the gateway itself.
package benchproc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Build builds the gateway (the module's root package) and
// cmd/circle-sandbox into dir, from the current directory (the
// repository's root), and returns the two binaries' paths. gatewayTags,
// when given, are build tags for the gateway only ("profile" builds in
// profile.go's exit-time profiles).
func Build(dir string, gatewayTags ...string) (gateway, sandbox string, err error) {
	gateway, sandbox = filepath.Join(dir, "gateway"), filepath.Join(dir, "circle-sandbox")
	for bin, pkg := range map[string]string{gateway: ".", sandbox: "./cmd/circle-sandbox"} {
		args := []string{"build", "-o", bin}
		if bin == gateway && len(gatewayTags) > 0 {
			args = append(args, "-tags", strings.Join(gatewayTags, ","))
		}
		if out, err := exec.Command("go", append(args, pkg)...).CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return gateway, sandbox, nil
}

// WaitHTTP waits up to 20 s until url answers at all.
func WaitHTTP(url string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Serve starts a server process whose output is not wanted (its errors go
// to this process's stderr) and waits until healthURL answers; what fails
// is named after name. The caller stops it (Stop) once it has started.
func Serve(name string, cmd *exec.Cmd, healthURL string) error {
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := WaitHTTP(healthURL); err != nil {
		Stop(cmd)
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Stop sends SIGTERM and waits up to 10 s, then kills.
func Stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// FreePort is a loopback TCP port free right now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreePorts are two free loopback ports, the upstream's and the
// gateway's, for a command that runs both.
func FreePorts() (upstream, gateway int, err error) {
	if upstream, err = FreePort(); err != nil {
		return 0, 0, err
	}
	gateway, err = FreePort()
	return upstream, gateway, err
}

// StatusField reads a size field of /proc/<pid>/status ("VmHWM:",
// "VmRSS:") in bytes; 0 when it cannot.
func StatusField(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// CPUTime is the user + system CPU time a process used so far
// (/proc/<pid>/stat, whose clock ticks are 1/100 s on Linux); 0 when it
// cannot read it.
func CPUTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// MemberToken signs a member in through the sandbox's Auth API at upURL
// (POST /api/v1/headless/auth_token with appToken), identity naming the
// member as Circle takes it ({"sso_user_id": …}, {"community_member_id":
// …}), and returns the access token.
func MemberToken(upURL, appToken string, identity map[string]any) (string, error) {
	body, _ := json.Marshal(identity)
	req, _ := http.NewRequest(http.MethodPost, upURL+"/api/v1/headless/auth_token", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+appToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("member token: status %d, %v", resp.StatusCode, err)
	}
	return out.AccessToken, nil
}

// LoadAverage is the machine's one-minute load average (/proc/loadavg):
// the figures of a run are only as good as the machine was quiet.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
