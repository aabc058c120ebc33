//go:build profile

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// With the build tag "profile" (cmd/loadtest -profile builds the gateway
// so), GATEWAY_CPUPROFILE and GATEWAY_MEMPROFILE name files the process
// writes a CPU profile of its whole life and an allocation profile to when
// it exits, and GATEWAY_HEAPPROFILE one it writes a heap profile to (what
// is live then) each time it receives SIGUSR1, for a snapshot in the middle
// of a run (cmd/subbench -profile takes one once every message has
// arrived). Production builds carry none of this: there is no endpoint.
func init() {
	if path := os.Getenv("GATEWAY_HEAPPROFILE"); path != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				if err := writeHeapProfile(path); err != nil {
					fmt.Fprintln(os.Stderr, "gateway: heap profile:", err)
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

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.Lookup("heap").WriteTo(f, 0)
}
