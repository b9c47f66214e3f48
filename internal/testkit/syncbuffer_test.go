package testkit

import (
	"strings"
	"sync"
	"testing"
)

func TestSyncBufferKeepsEveryConcurrentWrite(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "x"); got != 800 {
		t.Fatalf("buffer holds %d writes, want 800", got)
	}
}
