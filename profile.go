//go:build profile

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
)

// With the build tag "profile" (cmd/loadtest -profile builds the gateway
// so), GATEWAY_CPUPROFILE and GATEWAY_MEMPROFILE name files the process
// writes a CPU profile of its whole life and an allocation profile to when
// it exits, and GATEWAY_HEAPPROFILE one it writes a heap profile to (what
// is live then) each time it receives SIGUSR1, for a snapshot in the middle
// of a run (cmd/subbench -profile takes one once every message has
// arrived), and GATEWAY_GOROUTINEPROFILE one it writes the goroutines to
// on the same signal (who holds the stacks). GATEWAY_MEMPROFILERATE sets runtime.MemProfileRate (bytes
// between samples; Go's default, 512 KiB, is too coarse to tell apart the
// holders of a 30 MiB live heap). Production builds carry none of this:
// there is no endpoint.
func init() {
	if rate := os.Getenv("GATEWAY_MEMPROFILERATE"); rate != "" {
		n, err := strconv.Atoi(rate)
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "gateway: GATEWAY_MEMPROFILERATE must be a number of bytes")
			os.Exit(1)
		}
		runtime.MemProfileRate = n
	}
	heap, goroutines := os.Getenv("GATEWAY_HEAPPROFILE"), os.Getenv("GATEWAY_GOROUTINEPROFILE")
	if heap != "" || goroutines != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				// The goroutines first: the heap profile collects garbage.
				if goroutines != "" {
					if err := writeProfile(goroutines, "goroutine", false); err != nil {
						fmt.Fprintln(os.Stderr, "gateway: goroutine profile:", err)
					}
				}
				if heap != "" {
					if err := writeProfile(heap, "heap", true); err != nil {
						fmt.Fprintln(os.Stderr, "gateway: heap profile:", err)
					}
				}
			}
		}()
	}
	if path := os.Getenv("GATEWAY_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gateway: cpu profile:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "gateway: cpu profile:", err)
			os.Exit(1)
		}
		exitHooks = append(exitHooks, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if path := os.Getenv("GATEWAY_MEMPROFILE"); path != "" {
		exitHooks = append(exitHooks, func() {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "gateway: allocation profile:", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "gateway: allocation profile:", err)
			}
		})
	}
}

// writeProfile writes the named runtime profile to path, after a
// collection when gc is set (so that a heap profile shows what is live).
func writeProfile(path, name string, gc bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if gc {
		runtime.GC()
	}
	return pprof.Lookup(name).WriteTo(f, 0)
}
