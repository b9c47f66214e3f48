// Package checkpoint signs the heads of the store's hash chains with a key
// the store never holds and anchors the signed checkpoints outside the
// store, so that a truncated, deleted or consistently rewritten chain no
// longer matches what was anchored.
//
// A checkpoint names a stream, a sequence and the entry hash at that
// sequence, the time, the signing key and the digest of the stream's
// previous checkpoint, so the checkpoints of one stream form a chain of
// their own (a digest of digests, like CloudTrail's digest files). Anchors
// refuse to overwrite a name, which also serialises replicas: two replicas
// writing checkpoint n of one stream cannot both succeed.
package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format versions the checkpoint layout and its signed text.
const Format = "patchgate.checkpoint/v1"

// Signature algorithms a checkpoint may name.
const (
	AlgEd25519   = "ed25519"           // RFC 8032 over the signed text
	AlgECDSAP256 = "ecdsa-p256-sha256" // ASN.1 DER ECDSA over SHA-256 of the signed text (AWS KMS ECDSA_SHA_256)
)

// Checkpoint is one signed statement "stream S had entry Seq with hash Head
// at Time".
type Checkpoint struct {
	Format string    `json:"format"`
	Stream string    `json:"stream"`
	Number int64     `json:"number"` // 1, 2, 3… per stream
	Seq    int64     `json:"seq"`
	Head   string    `json:"head"`
	Time   time.Time `json:"time"`
	// Prev is the Digest of checkpoint Number-1 of the stream ("" for the first).
	Prev        string `json:"prev"`
	KeyID       string `json:"key_id"`
	Fingerprint string `json:"key_fingerprint"`
	Alg         string `json:"alg"`
	Sig         []byte `json:"sig"`
}

// SignedText is exactly what the signature covers: one "name=value" line per
// field, so an auditor can rebuild it by hand from the JSON.
func (c Checkpoint) SignedText() []byte {
	var b strings.Builder
	b.WriteString(Format + "\n")
	for _, kv := range [][2]string{
		{"stream", c.Stream}, {"number", strconv.FormatInt(c.Number, 10)},
		{"seq", strconv.FormatInt(c.Seq, 10)}, {"head", c.Head},
		{"time", c.Time.UTC().Format(time.RFC3339Nano)}, {"prev", c.Prev},
		{"key_id", c.KeyID}, {"key_fingerprint", c.Fingerprint}, {"alg", c.Alg},
	} {
		b.WriteString(kv[0] + "=" + oneLine(kv[1]) + "\n")
	}
	return []byte(b.String())
}

// oneLine keeps a value from adding lines to the signed text.
func oneLine(s string) string { return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s) }

// Digest is the SHA-256 of the signed text and the signature; the next
// checkpoint of the stream carries it as Prev.
func (c Checkpoint) Digest() string {
	h := sha256.New()
	h.Write(c.SignedText())
	h.Write(c.Sig)
	return hex.EncodeToString(h.Sum(nil))
}

// Encode is the checkpoint as anchored and as carried in a report bundle.
func (c Checkpoint) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint %d of %s: %w", c.Number, c.Stream, err)
	}
	return append(b, '\n'), nil
}

// Decode reads an encoded checkpoint.
func Decode(b []byte) (Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("decode checkpoint: %w", err)
	}
	if c.Format != Format {
		return c, fmt.Errorf("decode checkpoint: format %q, want %q", c.Format, Format)
	}
	return c, nil
}

// Name is where checkpoint number n of stream is anchored. Numbers are
// zero-padded so names sort in order.
func Name(stream string, n int64) string {
	return fmt.Sprintf("%s%s/%012d.json", namePrefix, stream, n)
}

// namePrefix keeps checkpoints apart from anything else an anchor holds.
const namePrefix = "checkpoints/"

// parseName splits an anchored name back into stream and number.
func parseName(name string) (stream string, n int64, ok bool) {
	rest, found := strings.CutPrefix(name, namePrefix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 || !strings.HasSuffix(rest, ".json") {
		return "", 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(rest[i+1:], ".json"), 10, 64)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return rest[:i], n, true
}
