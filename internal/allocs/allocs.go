// Package allocs measures what a function allocates, for tests that show a
// refusal costs no memory however large its input. It is for tests only.
package allocs

import (
	"math"
	"runtime"
)

// PerCall is the bytes f allocates per call, the least of a few rounds of
// 50 calls: the process's allocation counter also counts whatever else
// runs meanwhile (a server winding down after an earlier test), which only
// ever adds, so the least round is f's own. Call it from a test that is
// not parallel.
func PerCall(f func()) uint64 {
	const rounds, n = 5, 50
	least := uint64(math.MaxUint64)
	for range rounds {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			f()
		}
		runtime.ReadMemStats(&after)
		least = min(least, (after.TotalAlloc-before.TotalAlloc)/n)
	}
	return least
}
