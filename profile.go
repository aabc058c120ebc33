//go:build profile

package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// With the build tag "profile" (cmd/loadtest -profile builds the gateway
// so), GATEWAY_CPUPROFILE and GATEWAY_MEMPROFILE name files the process
// writes a CPU profile of its whole life and an allocation profile to when
// it exits. Production builds carry none of this: there is no endpoint.
func init() {
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
