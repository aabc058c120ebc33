package testenv_test

import (
	"fmt"
	"time"

	"github.com/circle-gateway/gateway/internal/testenv"
)

func ExampleWaves() {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	calls := []testenv.Call{
		{Start: at(0), End: at(50)},   // the feed
		{Start: at(51), End: at(100)}, // comments, in parallel
		{Start: at(52), End: at(101)},
		{Start: at(102), End: at(150)}, // a third round
	}
	fmt.Println(testenv.Waves(calls))
	// Output: 3
}
