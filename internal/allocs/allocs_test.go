package allocs

import "testing"

var sink []byte

func TestPerCall(t *testing.T) {
	if n := PerCall(func() {}); n != 0 {
		t.Errorf("an empty function allocates %d bytes per call", n)
	}
	if n := PerCall(func() { sink = make([]byte, 4096) }); n < 4096 {
		t.Errorf("a 4 KiB allocation counted as %d bytes", n)
	}
}
