package testkit

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", c.Now(), t0)
	}
	c.Advance(time.Hour)
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Hour + 2*time.Second); !c.Now().Equal(want) {
		t.Fatalf("Now = %v after Advance and Sleep, want %v", c.Now(), want)
	}
	if got := c.Slept(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Fatalf("Slept = %v, want [2s]", got)
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now = %v after Set, want %v", c.Now(), t0)
	}
}
