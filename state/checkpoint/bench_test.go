package checkpoint

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
)

// BenchmarkCheckpoint is what the engine adds to one cycle's end: the
// notary signs the cycle's audit head twice (at the report and when the
// cycle is archived), each a new checkpoint anchored in a directory
// (created once, fsynced with its directory). sign is the Ed25519
// signature alone. ns/op is per checkpoint.
func BenchmarkCheckpoint(b *testing.B) {
	signer := &Ed25519Signer{ID: "bench", Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))}
	ctx := context.Background()
	b.Run("sign", func(b *testing.B) {
		cp := Checkpoint{Format: Format, Stream: "audit/cu-1", Number: 1, Seq: 31, Head: "ab12", KeyID: "bench", Alg: AlgEd25519}
		msg := cp.SignedText()
		for range b.N {
			if _, err := signer.Sign(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("notary-dir", func(b *testing.B) {
		n := &Notary{Signer: signer, Anchor: Dir{Path: b.TempDir()}}
		for i := 0; i < b.N; i += 2 {
			stream := fmt.Sprintf("audit/cu-%d", i)
			for _, seq := range []int64{30, 33} {
				if _, err := n.Checkpoint(ctx, stream, seq, fmt.Sprintf("%064x", seq), true); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
