package aws

import (
	"bytes"
	"errors"
	"fmt"
)

// xmlPass is where a pass over an element's content (xmlScanner.pass)
// stands while it waits for more bytes, so it goes on from there once they
// arrive instead of reading the content again from its start.
type xmlPass struct {
	on    bool
	exact bool // counting every tag to the pass's end (see pass)
	at    int  // the bytes before at are passed over
	depth int  // when exact: elements open below the passed element

	// A child being passed over by its name (see memberEnd): where its
	// start tag begins, its name's length, the offset in its name of the
	// byte searched for, how many elements of its name are open inside it,
	// and how far it is known to hold no '!' or '?'.
	inMember                             bool
	member, nameLen, rare, nest, checked int
}

var errNeverCloses = errors.New("element never closes")

// pass moves over the content of the element whose start tag was the last
// token, up to its next child start tag that keep accepts (by local name)
// or its end tag, and leaves the scanner on that tag's '<' so that tag is
// the next token. Nothing passed over is tokenized. A child ends where the
// next '<' opens its end tag when it holds only text, and otherwise at the
// first end tag of its name not matched by a start tag of its name inside
// it (memberEnd), found by searching for its name rather than visiting
// every tag in it. Comments, CDATA sections and processing instructions
// can hold text that looks like tags, so a child holding any ('!' or '?'
// anywhere in it) is instead passed over by counting the depth of every
// tag, and so is the rest of the pass. errMore while the stop has not
// arrived; an error when the body ends first.
func (s *xmlScanner) pass(p *xmlPass, keep func(local []byte) bool) error {
	if !p.on {
		*p = xmlPass{on: true, at: s.i}
	}
	b := s.b
	for {
		if p.inMember {
			end, err := s.memberEnd(p)
			if err != nil {
				return err
			}
			p.inMember = false
			if end < 0 {
				p.exact, p.at, p.depth = true, p.member, 0
			} else {
				p.at = end
			}
		}
		i := indexLT(b, p.at)
		if i < 0 {
			p.at = len(b) // text holds no '<': none of it need be read again
			return s.cut(errNeverCloses)
		}
		p.at = i
		if i+1 >= len(b) {
			return s.cut(errNeverCloses)
		}
		switch c := b[i+1]; {
		case c == '/':
			if p.depth == 0 {
				*p, s.i = xmlPass{}, i
				return nil
			}
			p.depth--
			p.at = i + 2
		case c == '!' || c == '?':
			end := markupEnd(b[i:])
			if end < 0 {
				return s.cut(errors.New("unterminated comment, CDATA section or declaration"))
			}
			p.at = i + end
		default:
			if stop, err := s.passTag(p, keep); stop || err != nil {
				return err
			}
		}
	}
}

// passTag passes over the start tag at p.at, and over the whole child it
// opens when at the passed element's own level; stop when keep accepts
// the child, with the scanner left on its '<'.
func (s *xmlScanner) passTag(p *xmlPass, keep func(local []byte) bool) (stop bool, err error) {
	b, i := s.b, p.at
	n, local := nameEndAt(b, i+1)
	switch {
	case n == len(b):
		return false, s.cut(errors.New("truncated tag"))
	case n == i+1:
		return false, fmt.Errorf("malformed tag at byte %d", i)
	case p.depth == 0 && keep(b[local:n]):
		*p, s.i = xmlPass{}, i
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
		if end := leafEnd(b, i+1, n, gt); end > 0 {
			p.at = end
			break
		}
		p.inMember, p.member, p.nameLen, p.nest, p.checked = true, i, n-i-1, 0, i
		p.rare = rarest(b[i+1 : n])
		p.at = gt + 1
	}
	return false, nil
}

// leafEnd is the end of the element whose name is b[a:n] and whose start
// tag ends at gt, when the next '<' opens its end tag (it holds only
// text), or -1.
func leafEnd(b []byte, a, n, gt int) int {
	if gt != n {
		return -1
	}
	j := indexLT(b, gt+1)
	l := n - a
	if j < 0 || j+3+l > len(b) || b[j+1] != '/' || b[j+2+l] != '>' || string(b[j+2:j+2+l]) != string(b[a:n]) {
		return -1
	}
	return j + 3 + l
}

// memberEnd goes on searching for the end tag of the child being passed
// over by name (p.inMember): the first end tag of its name not matched by
// a start tag of its name inside it, as in well-formed XML. Only bytes
// equal to the name's rarest byte are looked at closely. It is the end of
// that end tag, or -1 as soon as the child is seen to hold '!' or '?' (it
// may hold a comment, CDATA or a processing instruction, whose text need
// not be tags).
func (s *xmlScanner) memberEnd(p *xmlPass) (int, error) {
	b := s.b
	name := b[p.member+1 : p.member+1+p.nameLen]
	l, k := len(name), p.rare
	for {
		q := bytes.IndexByte(b[p.at:], name[k])
		if q < 0 {
			p.at = len(b)
			return p.waitFor(s, len(b), errNeverCloses)
		}
		q += p.at
		t := q - k // where the name would begin: past p.member's start tag
		if t+l >= len(b) {
			p.at = q
			return p.waitFor(s, len(b), errNeverCloses)
		}
		start := b[t-1] == '<'
		if !start && (b[t-1] != '/' || b[t-2] != '<') || !nameEnd[b[t+l]] || string(b[t:t+l]) != string(name) {
			p.at = q + 1
			continue
		}
		gt := attrsEnd(b, t+l)
		if gt < 0 {
			p.at = q
			return p.waitFor(s, len(b), errors.New("truncated tag"))
		}
		p.at = gt + 1
		switch {
		case !start && p.nest == 0:
			if p.markupBefore(b, gt) {
				return -1, nil
			}
			return gt + 1, nil
		case !start:
			p.nest--
		case b[gt-1] != '/':
			p.nest++
		}
	}
}

// waitFor is memberEnd's answer when b ends before the child: -1 when what
// has arrived of it holds '!' or '?', else s.cut(err).
func (p *xmlPass) waitFor(s *xmlScanner, end int, err error) (int, error) {
	if p.markupBefore(s.b, end) {
		return -1, nil
	}
	return 0, s.cut(err)
}

// markupBefore reports whether the child passed over by name holds '!' or
// '?' before end, looking only at bytes not looked at before.
func (p *xmlPass) markupBefore(b []byte, end int) bool {
	m := b[p.checked:end]
	p.checked = end
	return bytes.IndexByte(m, '!') >= 0 || bytes.IndexByte(m, '?') >= 0
}

// rarest is the offset in name of its byte least often found in a
// DescribeInstances page (byteRank); it only decides how fast memberEnd
// is, never what it finds.
func rarest(name []byte) int {
	k := 0
	for i, c := range name {
		if byteRank[c] < byteRank[name[k]] {
			k = i
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
