package sizedcache

import (
	"context"
	"strings"
	"testing"
)

func TestBoundsAndRecency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	size := func(k, v string) int { return len(k) + len(v) }
	tests := []struct {
		name        string
		adds        []string // values, keyed by their first letter
		touch       string   // key read after the adds but the last
		wantKept    []string
		wantDropped []string
	}{
		{"within bounds", []string{"a1", "b1", "c1"}, "", []string{"a", "b", "c"}, nil},
		{"count bound evicts the least recently used", []string{"a1", "b1", "c1", "d1", "e1"}, "", []string{"b", "c", "d", "e"}, []string{"a"}},
		{"a read keeps an entry", []string{"a1", "b1", "c1", "d1", "e1"}, "a", []string{"a", "c", "d", "e"}, []string{"b"}},
		{"byte bound evicts the least recently used", []string{"a1", "b1", "c" + strings.Repeat("x", 13)}, "", []string{"b", "c"}, []string{"a"}},
		{"byte bound evicts as many as needed", []string{"a1", "b1", "c1", "d" + strings.Repeat("x", 14)}, "", []string{"c", "d"}, []string{"a", "b"}},
		{"too large for one entry is not kept", []string{"a1", "b" + strings.Repeat("x", 30)}, "", []string{"a"}, []string{"b"}},
		{"replacing a key does not count it twice", []string{"a1", "a2", "a3", "b1", "c1", "d1"}, "", []string{"a", "b", "c", "d"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New[string](4, 20, 16, size)
			for i, v := range tt.adds {
				if i == len(tt.adds)-1 && tt.touch != "" {
					c.Get(ctx, tt.touch)
				}
				c.Add(ctx, v[:1], v)
			}
			for _, k := range tt.wantKept {
				if _, ok := c.Get(ctx, k); !ok {
					t.Errorf("%s was evicted", k)
				}
			}
			for _, k := range tt.wantDropped {
				if _, ok := c.Get(ctx, k); ok {
					t.Errorf("%s was kept", k)
				}
			}
			if entries, bytes := c.Len(); entries > 4 || bytes > 20 {
				t.Errorf("%d entries, %d bytes: over the bounds", entries, bytes)
			}
		})
	}
}
