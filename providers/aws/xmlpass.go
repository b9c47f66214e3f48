package aws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// xmlPass is where a pass over an element's content (xmlScanner.pass)
// stands while it waits for more bytes, so it goes on from there once they
// arrive instead of reading the content again from its start.
type xmlPass struct {
	on      bool
	exact   bool // counting every tag's depth (see pass)
	start   int  // where the pass began
	at      int  // the bytes before at are passed over
	checked int  // unless exact, the bytes before checked hold no '!' or '?'
	depth   int  // when exact: elements open below the passed element

	// A child being passed over by its name (see memberEnd): where its
	// start tag begins, its name's length, the offset in its name of the
	// byte searched for, and how many elements of its name are open inside
	// it.
	inMember                    bool
	member, nameLen, rare, nest int
}

var errNeverCloses = errors.New("element never closes")

// pass moves over the content of the element whose start tag was the last
// token, up to its next child start tag that read has (by local name) or
// its end tag, and leaves the scanner on that tag's '<' so that tag is
// the next token. Nothing passed over is tokenized. A child ends where the
// next '<' opens its end tag when it holds only text, and otherwise at the
// first end tag of its name not matched by a start tag of its name inside
// it (memberEnd), found by searching for its name rather than visiting
// every tag in it. Comments, CDATA sections and processing instructions
// can hold text that looks like tags, so when what the pass went over
// holds one ('!' or '?' anywhere), it goes over it again from its start
// counting the depth of every tag. errMore while the stop has not
// arrived; an error when the body ends first.
func (s *xmlScanner) pass(p *xmlPass, read readMembers) error {
	if !p.on {
		*p = xmlPass{on: true, start: s.i, at: s.i, checked: s.i}
	}
	for {
		stop, err := s.walk(p, read)
		if !p.exact {
			end := stop
			if err != nil {
				end = p.at
			}
			if p.markupBefore(s.b, end) {
				*p = xmlPass{on: true, exact: true, start: p.start, at: p.start}
				continue
			}
		}
		if err != nil {
			return err
		}
		*p, s.i = xmlPass{}, stop
		return nil
	}
}

// markupBefore reports whether the bytes passed over before end hold '!'
// or '?', looking only at bytes not looked at before.
func (p *xmlPass) markupBefore(b []byte, end int) bool {
	if end <= p.checked {
		return false
	}
	m := b[p.checked:end]
	p.checked = end
	return bytes.IndexByte(m, '!') >= 0 || bytes.IndexByte(m, '?') >= 0
}

// walk is pass without its check for markup: the index of the tag it stops
// at, or an error.
func (s *xmlScanner) walk(p *xmlPass, read readMembers) (int, error) {
	b := s.b
	for {
		if p.inMember {
			end, err := s.memberEnd(p)
			if err != nil {
				return 0, err
			}
			p.inMember, p.at = false, end
		}
		i := p.at
		if i >= len(b) || b[i] != '<' { // members often follow each other at once
			i = indexLT(b, i)
		}
		if i < 0 {
			p.at = len(b) // text holds no '<': none of it need be read again
			return 0, s.cut(errNeverCloses)
		}
		p.at = i
		if i+1 >= len(b) {
			return 0, s.cut(errNeverCloses)
		}
		switch c := b[i+1]; {
		case c == '/':
			if p.depth == 0 {
				return i, nil
			}
			p.depth--
			p.at = i + 2
		case c == '!' || c == '?':
			end := markupEnd(b[i:])
			if end < 0 {
				return 0, s.cut(errors.New("unterminated comment, CDATA section or declaration"))
			}
			p.at = i + end
		default:
			if stop, err := s.passTag(p, read); stop || err != nil {
				return i, err
			}
		}
	}
}

// passTag passes over the start tag at p.at, and over the whole child it
// opens when at the passed element's own level; stop when read has the
// child (the pass stops on its '<').
func (s *xmlScanner) passTag(p *xmlPass, read readMembers) (stop bool, err error) {
	b, i := s.b, p.at
	if p.depth == 0 && !p.exact {
		if end, name := leafAt(b, i); end > 0 {
			if read.has(name) {
				return true, nil
			}
			p.at = end
			return false, nil
		}
	}
	n, local := nameEndAt(b, i+1)
	switch {
	case n == len(b):
		return false, s.cut(errors.New("truncated tag"))
	case n == i+1:
		return false, fmt.Errorf("malformed tag at byte %d", i)
	case p.depth == 0 && read.has(b[local:n]):
		return true, nil
	}
	gt := n
	if b[n] != '>' {
		if gt = attrsEnd(b, n); gt < 0 {
			return false, s.cut(errors.New("truncated tag"))
		}
	}
	switch {
	case b[gt-1] == '/': // self-closing
		p.at = gt + 1
	case p.depth > 0 || p.exact:
		p.depth++
		p.at = gt + 1
	default:
		p.inMember, p.member, p.nameLen, p.nest = true, i, n-i-1, 0
		p.rare = rarest(b[i+1 : n])
		p.at = gt + 1
	}
	return false, nil
}

// leafAt is the end of the element whose start tag is at b[i] and its
// name, when it holds only text: the next '<' opens its end tag (so no
// comment or CDATA can be inside). It reads only the common case, a name
// of letters with nothing after it in either tag, comparing the two tags 8
// bytes at a time; -1 otherwise, for the caller to read the element the
// long way.
func leafAt(b []byte, i int) (int, []byte) {
	j := indexLT(b, i+1)
	if j < 0 || j+1 >= len(b) || b[j+1] != '/' {
		return -1, nil
	}
	for a, e := i+1, j+2; e+8 <= len(b); a, e = a+8, e+8 {
		x, y := binary.LittleEndian.Uint64(b[a:]), binary.LittleEndian.Uint64(b[e:])
		m := (x - '?'*ones) &^ x & highs // bytes below '?': the name's end, or a digit, '-', '.', ':'
		if m == 0 {
			if x != y {
				return -1, nil
			}
			continue
		}
		w := bits.TrailingZeros64(m) + 1 // the bits of the name's bytes and the one after
		if byte(x>>(w-8)) != '>' || (x^y)<<(64-w) != 0 || a+w>>3 == i+2 {
			return -1, nil // not the common case, or no name
		}
		return e + w>>3, b[i+1 : a+w>>3-1]
	}
	return -1, nil
}

// memberEnd goes on searching for the end tag of the child being passed
// over by name (p.inMember): the first end tag of its name not matched by
// a start tag of its name inside it, as in well-formed XML without
// comments, CDATA or processing instructions (see pass). Only bytes equal
// to the name's rarest byte are looked at closely. It is the end of that
// end tag.
func (s *xmlScanner) memberEnd(p *xmlPass) (int, error) {
	b := s.b
	name := b[p.member+1 : p.member+1+p.nameLen]
	l, k := len(name), p.rare
	for {
		q := bytes.IndexByte(b[p.at:], name[k])
		if q < 0 {
			p.at = len(b)
			return 0, s.cut(errNeverCloses)
		}
		q += p.at
		t := q - k // where the name would begin: past p.member's start tag
		if t+l >= len(b) {
			p.at = q
			return 0, s.cut(errNeverCloses)
		}
		start := b[t-1] == '<'
		if !start && (b[t-1] != '/' || b[t-2] != '<') || !nameEnd[b[t+l]] || string(b[t:t+l]) != string(name) {
			p.at = q + 1
			continue
		}
		gt := attrsEnd(b, t+l)
		if gt < 0 {
			p.at = q
			return 0, s.cut(errors.New("truncated tag"))
		}
		p.at = gt + 1
		switch {
		case !start && p.nest == 0:
			return gt + 1, nil
		case !start:
			p.nest--
		case b[gt-1] != '/':
			p.nest++
		}
	}
}

// rarest is the offset in name of its byte least often found in a
// DescribeInstances page (byteRank); it only decides how fast memberEnd
// is, never what it finds.
func rarest(name []byte) int {
	k, rank := 0, uint8(255)
	for i, c := range name {
		if r := byteRank[c]; r < rank {
			k, rank = i, r
		}
	}
	return k
}

// byteRank orders bytes by how often a page of documented instances holds
// them, rarest (0) first; bytes it does not hold come before them all.
var byteRank = func() (r [256]uint8) {
	const common = ` ="FJQ_qBHUXEZLCMxzP987:R6wSk4O5ADNTgyfh3.b2vIl-01um/dpcorsin<>ate`
	for i := range len(common) {
		r[common[i]] = uint8(i + 1)
	}
	return r
}()

// markupEnd is the length of the comment, CDATA section, processing
// instruction or declaration m starts with, or -1 when m does not hold its
// end. A declaration (<!DOCTYPE …>) ends at its first '>': the internal
// subset of a DTD, which may hold more, has no place in an EC2 answer.
func markupEnd(m []byte) int {
	term := []byte(">")
	switch {
	case bytes.HasPrefix(m, []byte("<![CDATA[")):
		term = []byte("]]>")
	case bytes.HasPrefix(m, []byte("<!--")):
		term = []byte("-->")
	case bytes.HasPrefix(m, []byte("<?")):
		term = []byte("?>")
	}
	j := bytes.Index(m, term)
	if j < 0 {
		return -1
	}
	return j + len(term)
}

// attrsEnd is the index of the '>' closing the tag whose attributes (or
// "/") start at b[n], skipping quoted attribute values (which may hold
// '>'), or -1 when b does not hold it.
func attrsEnd(b []byte, n int) int {
	var quote byte
	for ; n < len(b); n++ {
		c := b[n]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return n
		}
	}
	return -1
}
