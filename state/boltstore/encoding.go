package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// The on-disk value formats. Fixed-width big-endian integers keep sequence
// keys sorted by bbolt's byte order and make versions cheap to read.

func putUint64(n int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

func getUint64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// seqKey is the key of entry seq inside a stream's bucket.
func seqKey(seq int64) []byte { return putUint64(seq) }

// encodeRecord prefixes value with its version.
func encodeRecord(version int64, value []byte) []byte {
	return append(putUint64(version), value...)
}

// decodeRecord splits a stored record; the value is copied because bbolt's
// memory is only valid inside the transaction.
func decodeRecord(key string, raw []byte) (version int64, value []byte, err error) {
	if len(raw) < 8 {
		return 0, nil, fmt.Errorf("record %s: stored value is %d bytes, shorter than its version", key, len(raw))
	}
	return getUint64(raw[:8]), append([]byte(nil), raw[8:]...), nil
}

// leaseValue is a held lease. JSON keeps it readable with `bbolt get`.
type leaseValue struct {
	Holder  string    `json:"holder"`
	Token   int64     `json:"token"`
	Expires time.Time `json:"expires"`
}

func decodeLease(key string, raw []byte) (leaseValue, error) {
	var l leaseValue
	if err := json.Unmarshal(raw, &l); err != nil {
		return l, fmt.Errorf("lease %s: decode stored value: %w", key, err)
	}
	return l, nil
}

// head is what a stream's last append recorded: its sequence and hash.
type head struct {
	Seq  int64
	Hash string
}

func encodeHead(h head) []byte { return append(putUint64(h.Seq), h.Hash...) }

func decodeHead(stream string, raw []byte) (head, error) {
	if len(raw) < 8 {
		return head{}, fmt.Errorf("stream %s: stored head is %d bytes, shorter than its sequence", stream, len(raw))
	}
	return head{Seq: getUint64(raw[:8]), Hash: string(raw[8:])}, nil
}
