package testenv

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis returns the URL of a Redis for the test: REDIS_URL when set, else a
// redis-server started for the test on a free loopback port (stopped when
// the test ends). Without either the test is skipped — unless CI is set, in
// which case a missing Redis is a failure, not a silent skip.
func Redis(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	url, _ := PrivateRedis(tb)
	return url
}

// PrivateRedis starts a redis-server of the test's own on a free loopback
// port, even when REDIS_URL is set, for tests that stop it (a Redis that
// goes down); stop ends it early, and it ends with the test anyway.
// Without redis-server the test is skipped, or fails when CI is set.
func PrivateRedis(tb testing.TB) (url string, stop func()) {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI is set but neither REDIS_URL nor redis-server is available (.ci/run installs redis-server)")
		}
		tb.Skip("no REDIS_URL and no redis-server on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	tb.Cleanup(stop)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "# ") && testing.Verbose() {
				tb.Log("redis: " + sc.Text())
			}
		}
	}()
	url = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	opts, _ := redis.ParseURL(url)
	client := redis.NewClient(opts)
	defer client.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return url, stop
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RedisScope is a key space of the test's own in Redis, new at every run:
// REDIS_URL may outlive a run (a developer's server, go test -count=2),
// and what one run stored must not be found by the next.
func RedisScope(tb testing.TB) string {
	return fmt.Sprintf("test:%s:%d", tb.Name(), time.Now().UnixNano())
}

// RedisClient is a client of the test's Redis (Redis: skipped on a
// developer machine without one, a failure under CI), closed when the test
// ends.
func RedisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(Redis(tb))
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
