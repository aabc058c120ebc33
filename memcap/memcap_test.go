package memcap

import (
	"context"
	"errors"
	"testing"
)

func scope(err error) Scope {
	var e *Error
	if errors.As(err, &e) {
		return e.Scope
	}
	return 0
}

// Each cap refuses what would cross it, counts nothing it refuses, and
// the pool gets back everything an ended account drew.
func TestAccount(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	pool := NewPool(Limits{MaxReadBytes: 10 * mb, MaxResponseBytes: 4 * mb, MaxBytesInFlight: 6 * mb})
	_, a := pool.Start(context.Background())
	if err := a.Read(Allowance); err != nil || pool.Held() != 0 {
		t.Fatalf("within the allowance: %v, held %d", err, pool.Held())
	}
	if err := a.Read(3 * mb); err != nil || pool.Held() != 3*mb {
		t.Fatalf("beyond the allowance: %v, held %d", err, pool.Held())
	}
	if err := a.ReadExhausted(); err != nil {
		t.Fatalf("exhausted before any refusal: %v", err)
	}
	if err := a.Read(6 * mb); scope(err) != ScopeRead {
		t.Fatalf("over the read cap: %v", err)
	}
	if scope(a.ReadExhausted()) != ScopeRead {
		t.Fatal("not exhausted after crossing the read cap")
	}
	// The answer is held twice: 2 MB written draws 4 MB, past the pool.
	if err := a.Write(2 * mb); scope(err) != ScopeProcess {
		t.Fatalf("over the pool: %v", err)
	}
	if err := a.Write(10); scope(err) != ScopeProcess || a.Over() == nil {
		t.Fatalf("after the answer crossed a cap, every write is refused: %v", err)
	}
	_, b := pool.Start(context.Background())
	if err := b.Write(5 * mb); scope(err) != ScopeResponse {
		t.Fatalf("over the response cap: %v", err)
	}
	if err := b.Read(Allowance); err != nil {
		t.Fatalf("another operation within its allowance: %v", err)
	}
	if u := a.End(); u.Read != Allowance+3*mb || u.Written != 0 {
		t.Fatalf("usage %+v", u)
	}
	b.End()
	if pool.Held() != 0 {
		t.Fatalf("held %d after every account ended", pool.Held())
	}
	if err := a.Read(100 * mb); err != nil {
		t.Fatalf("an ended account caps nothing: %v", err)
	}
	var none *Account
	if none.Read(1) != nil || none.Write(1) != nil || none.ReadExhausted() != nil || none.Over() != nil {
		t.Fatal("a nil account refused something")
	}
}

func TestValueSize(t *testing.T) {
	t.Parallel()
	s := "a\"b\\c\nd"
	type enum string
	type raw []byte
	tests := []struct {
		v    any
		want int64
	}{
		{nil, 4},
		{"", 2},
		{s, int64(len(s)) + 2 + 2 + 5},
		{&s, int64(len(s)) + 2 + 2 + 5},
		{(*string)(nil), 4},
		{enum("YES"), 5},
		{raw(`{"a":1}`), 7},
		{[]string{"a", "b"}, 2 + 3 + 1 + 3 + 1},
	}
	for _, tt := range tests {
		if got := valueSize(tt.v); got != tt.want {
			t.Errorf("valueSize(%#v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
