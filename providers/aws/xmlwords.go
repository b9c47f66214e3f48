package aws

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// A tag's name is ~15 bytes, too short for bytes.IndexByte's set-up to
// pay: nameEndAt looks at 8 bytes a step with word arithmetic
// ((x-c*ones)&^x&highs flags the bytes of x below c, exactly from the
// lowest flagged one), as leafAt does.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// indexLT is the index of the first '<' in b at or after i, or -1.
func indexLT(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '<'); j >= 0 {
		return i + j
	}
	return -1
}

// nameEndAt is the index of the first byte at or after n that ends a
// tag's name (nameEnd), or len(b), and where the name's local part
// begins (after its first ':'). Every byte ending a name is below '?', as
// are few bytes in one (digits, '-', '.', ':'), so a word holding none is
// passed at once.
func nameEndAt(b []byte, n int) (end, local int) {
	start := n
	local = n
	for {
		if n+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[n:])
			m := (x - '?'*ones) &^ x & highs
			if m == 0 {
				n += 8
				continue
			}
			n += bits.TrailingZeros64(m) >> 3
		} else if n == len(b) {
			return n, local
		}
		switch {
		case nameEnd[b[n]]:
			return n, local
		case b[n] == ':' && local == start:
			local = n + 1
		}
		n++
	}
}

// nameEnd marks the bytes that end a tag's name: whitespace, '>' and '/'.
var nameEnd = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r>/") {
		t[c] = true
	}
	return t
}()
