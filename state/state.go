// Package state declares the durable coordination store patchgate runs on.
//
// The store keeps bytes, not domain types: versioned records with
// compare-and-swap, claim-once keys, leases with fencing tokens and
// append-only hash-chained streams. Two backends implement it
// (state/redisstore for several replicas, state/boltstore embedded) and one
// contract suite (state/storetest) holds both to the same semantics.
package state

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	// ErrNotFound: the record, lease or stream entry does not exist.
	ErrNotFound = errors.New("state: not found")
	// ErrConflict: a compare-and-swap lost (the record exists on Create, or its
	// version moved on Update/Delete, or the stream head moved on AppendAt).
	ErrConflict = errors.New("state: version conflict")
	// ErrLeaseHeld: another holder has an unexpired lease on the key.
	ErrLeaseHeld = errors.New("state: lease held by another holder")
	// ErrLeaseLost: the caller's lease expired or was taken over; its fencing
	// token is stale and the operation was refused.
	ErrLeaseLost = errors.New("state: lease lost")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("state: store closed")
	// ErrUnavailable: the backend could not be reached (connection refused,
	// reset, timed out, a server still loading its data or a failover in
	// progress). A write whose reply was lost may have been applied, so a
	// caller tries again with the same compare-and-swap version, claim key
	// or AppendAt sequence, which cannot apply twice.
	ErrUnavailable = errors.New("state: store unavailable")
)

// Record is a versioned value. Version starts at 1 on Create and grows by one
// on every Update.
type Record struct {
	Key     string
	Value   []byte
	Version int64
}

// Lease is a time-bounded exclusive hold on a key. Token is a fencing token:
// it strictly increases every time the lease changes hands, so an operation
// carrying an older token can be refused after an expiry.
type Lease struct {
	Key     string
	Holder  string
	Token   int64
	Expires time.Time
}

// HeldError is returned (wrapping ErrLeaseHeld) when a lease is held by
// someone else, so a refusal can say who holds it and until when.
type HeldError struct {
	Key     string
	Holder  string
	Expires time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("lease %s held by %s until %s", e.Key, e.Holder, e.Expires.UTC().Format(time.RFC3339))
}

func (e *HeldError) Unwrap() error { return ErrLeaseHeld }

// Entry is one element of an append-only stream. Seq starts at 1. Hash is
// EntryHash(stream, Seq, Time, PrevHash, Data); PrevHash is the previous
// entry's Hash ("" for the first entry). The store computes both.
type Entry struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	PrevHash string    `json:"prev"`
	Hash     string    `json:"hash"`
	Data     []byte    `json:"data"`
}

// Verification is the result of re-walking a stream's chain.
type Verification struct {
	Stream  string
	Checked int64  // entries whose hash and link were checked
	Head    string // hash of the last entry checked
	// BrokenAt is the sequence of the first entry that fails (0 if none), and
	// Problem says why.
	BrokenAt int64
	Problem  string
}

// OK reports whether the chain verified end to end.
func (v Verification) OK() bool { return v.BrokenAt == 0 }

// Store is the coordination store. Every method is safe for concurrent use by
// many goroutines and, for distributed backends, many processes.
type Store interface {
	// Get returns the record at key, or ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// Create stores value at key with version 1 if key is absent, else ErrConflict.
	Create(ctx context.Context, key string, value []byte) (Record, error)
	// Update replaces the value if the current version equals version; the
	// new record has version+1. ErrNotFound if absent, ErrConflict if moved.
	Update(ctx context.Context, key string, value []byte, version int64) (Record, error)
	// UpdateFenced is Update that also requires lease to be the current,
	// unexpired holder of lease.Key (same token), else ErrLeaseLost. Both
	// checks and the write are one atomic step.
	UpdateFenced(ctx context.Context, lease Lease, key string, value []byte, version int64) (Record, error)
	// Delete removes key if its version equals version. ErrNotFound, ErrConflict.
	Delete(ctx context.Context, key string, version int64) error
	// List returns every record whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Record, error)

	// Claim returns true for exactly one caller per key until ttl elapses.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)

	// AcquireLease takes key for holder for ttl. If holder already holds it,
	// the lease is extended and keeps its token. If another holder has an
	// unexpired lease the error wraps ErrLeaseHeld (as *HeldError).
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (Lease, error)
	// RenewLease extends a held lease; ErrLeaseLost if its token is stale.
	RenewLease(ctx context.Context, lease Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease gives the lease up; ErrLeaseLost if its token is stale.
	ReleaseLease(ctx context.Context, lease Lease) error

	// Append adds data at the end of stream, chaining it to the current head.
	Append(ctx context.Context, stream string, data []byte) (Entry, error)
	// AppendAt appends only if the new entry would get sequence seq (the head
	// is seq-1), else ErrConflict. It makes replays idempotent: a writer that
	// numbers its own events appends each exactly once.
	AppendAt(ctx context.Context, stream string, seq int64, data []byte) (Entry, error)
	// Read returns up to limit entries with Seq >= from (limit <= 0: all).
	Read(ctx context.Context, stream string, from int64, limit int) ([]Entry, error)
	// Head returns the last entry of stream, or ErrNotFound if it is empty.
	Head(ctx context.Context, stream string) (Entry, error)
	// Streams lists the names of every stream with a prefix, sorted.
	Streams(ctx context.Context, prefix string) ([]string, error)
	// Verify re-walks stream from the first entry, recomputing every hash and
	// link; a break is reported in the Verification, not as an error.
	Verify(ctx context.Context, stream string) (Verification, error)

	// Close releases the backend. Later calls return ErrClosed.
	Close() error
}

// EntryHash is the chain hash of one entry: SHA-256 over the stream name, the
// sequence, the time (Unix nanoseconds), the previous hash and the data, each
// length-prefixed so no two different entries encode alike.
func EntryHash(stream string, seq int64, t time.Time, prev string, data []byte) string {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(stream))
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(t.UnixNano()))
	h.Write(n[:])
	field([]byte(prev))
	field(data)
	return hex.EncodeToString(h.Sum(nil))
}

// NewEntry builds the entry that follows prev (nil for the first one).
func NewEntry(stream string, prev *Entry, t time.Time, data []byte) Entry {
	e := Entry{Seq: 1, Time: t.UTC().Round(0), Data: data}
	if prev != nil {
		e.Seq = prev.Seq + 1
		e.PrevHash = prev.Hash
	}
	e.Hash = EntryHash(stream, e.Seq, e.Time, e.PrevHash, e.Data)
	return e
}

// VerifyEntries checks a run of entries read from stream, continuing from
// prev (nil at the start). It returns the number checked before the first
// break and, if there is one, its sequence and reason.
func VerifyEntries(stream string, prev *Entry, entries []Entry) (checked int64, brokenAt int64, problem string) {
	for i := range entries {
		e := entries[i]
		wantSeq, wantPrev := int64(1), ""
		if prev != nil {
			wantSeq, wantPrev = prev.Seq+1, prev.Hash
		}
		switch {
		case e.Seq != wantSeq:
			return checked, wantSeq, fmt.Sprintf("entry %d missing: found sequence %d", wantSeq, e.Seq)
		case e.PrevHash != wantPrev:
			return checked, e.Seq, "link to the previous entry does not match its hash"
		case EntryHash(stream, e.Seq, e.Time, e.PrevHash, e.Data) != e.Hash:
			return checked, e.Seq, "content does not match its hash (entry edited)"
		}
		checked++
		prev = &entries[i]
	}
	return checked, 0, ""
}

// VerifyHead compares the head a store recorded at its last append with the
// last entry actually found on a walk (nil if none). Every link of a chain
// whose tail was cut off still verifies, so only this comparison catches a
// dropped tail. It returns the first sequence that fails (0 if none) and why.
func VerifyHead(last *Entry, headSeq int64, headHash string) (brokenAt int64, problem string) {
	lastSeq, lastHash := int64(0), ""
	if last != nil {
		lastSeq, lastHash = last.Seq, last.Hash
	}
	switch {
	case lastSeq == headSeq && lastHash == headHash:
		return 0, ""
	case lastSeq < headSeq:
		return lastSeq + 1, fmt.Sprintf("head says seq %d hash %s but the last entry is %d (entries dropped)",
			headSeq, shortHash(headHash), lastSeq)
	case lastSeq > headSeq:
		return headSeq + 1, fmt.Sprintf("head says seq %d hash %s but the last entry is %d (entries beyond the head)",
			headSeq, shortHash(headHash), lastSeq)
	default:
		return lastSeq, fmt.Sprintf("head says seq %d hash %s but the last entry's hash is %s",
			headSeq, shortHash(headHash), shortHash(lastHash))
	}
}

// shortHash abbreviates a hex hash for messages a person reads.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
