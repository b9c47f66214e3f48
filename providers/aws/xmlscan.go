package aws

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

// xmlScanner splits XML into start tags, end tags and text. A self-closing
// tag is a start then an end. Comments, processing instructions and
// declarations are skipped; CDATA is text; entities in text are decoded.
// While partial (more of the document may follow b), a token that b does
// not hold whole is errMore, and the scanner stays where it was, so the
// token is read again once b holds more.
type xmlScanner struct {
	b       []byte
	i       int
	partial bool
	pendEnd []byte // the end of a self-closing tag, returned next
	buf     []byte
}

// errMore: the next token goes on past the bytes read so far.
var errMore = errors.New("xml token continues past the bytes read so far")

// cut is err for a token that stops at the end of s.b: errMore while more
// may follow.
func (s *xmlScanner) cut(err error) error {
	if s.partial {
		return errMore
	}
	return err
}

func (s *xmlScanner) next() (tokKind, []byte, []byte, error) {
	if s.pendEnd != nil {
		n := s.pendEnd
		s.pendEnd = nil
		return tokEnd, n, nil, nil
	}
	for s.i < len(s.b) {
		if s.b[s.i] != '<' {
			j := bytes.IndexByte(s.b[s.i:], '<')
			if j < 0 {
				if s.partial {
					return 0, nil, nil, errMore
				}
				j = len(s.b) - s.i
			}
			raw := s.b[s.i : s.i+j]
			s.i += j
			if len(bytes.TrimSpace(raw)) == 0 {
				continue
			}
			text, err := s.unescape(raw)
			return tokText, nil, text, err
		}
		if rest := s.b[s.i:]; len(rest) > 1 && (rest[1] == '!' || rest[1] == '?') {
			text, err := s.markup(rest)
			if err != nil || text != nil {
				return tokText, nil, text, err
			}
			continue
		}
		return s.tag()
	}
	if s.partial {
		return 0, nil, nil, errMore
	}
	return tokEOF, nil, nil, nil
}

// markup passes over the CDATA section, comment, processing instruction
// or declaration rest starts with (see markupEnd); a CDATA section's text
// is returned.
func (s *xmlScanner) markup(rest []byte) ([]byte, error) {
	j := markupEnd(rest)
	if j < 0 {
		return nil, s.cut(errors.New("unterminated comment, CDATA section, declaration or processing instruction"))
	}
	s.i += j
	if bytes.HasPrefix(rest, []byte("<![CDATA[")) {
		return rest[9 : j-3 : j-3], nil
	}
	return nil, nil
}

// leafText reads on past the text and the end tag of the element whose
// start tag, of local name name, was the last token, when the next '<'
// opens that end tag (written </name>): the text as it is written, and
// ok. Otherwise it reads nothing.
func (s *xmlScanner) leafText(name []byte) (raw []byte, ok bool) {
	b, i := s.b, s.i
	j := i
	if i >= len(b) || b[i] != '<' {
		j = indexLT(b, i)
	}
	e := j + 2 + len(name)
	if j < 0 || e >= len(b) || b[j+1] != '/' || b[e] != '>' || string(b[j+2:e]) != string(name) {
		return nil, false
	}
	s.i = e + 1
	return b[i:j], true
}

// tag reads <name attr="…">, </name> or <name/> at s.i.
func (s *xmlScanner) tag() (tokKind, []byte, []byte, error) {
	b, i := s.b, s.i
	if len(b)-i < 2 {
		return 0, nil, nil, s.cut(errors.New("truncated tag"))
	}
	closing := b[i+1] == '/'
	k := i + 1
	if closing {
		k++
	}
	n, local := nameEndAt(b, k)
	switch {
	case n == len(b):
		return 0, nil, nil, s.cut(fmt.Errorf("truncated tag %q", b[k:]))
	case n == k:
		return 0, nil, nil, fmt.Errorf("malformed tag at byte %d", i)
	}
	name := b[local:n] // the local name; EC2 uses no prefix, but one is legal
	gt := n
	if b[n] != '>' {
		if gt = attrsEnd(b, n); gt < 0 {
			return 0, nil, nil, s.cut(fmt.Errorf("truncated tag %q", name))
		}
	}
	s.i = gt + 1
	if closing {
		return tokEnd, name, nil, nil
	}
	if b[gt-1] == '/' {
		s.pendEnd = name
	}
	return tokStart, name, nil, nil
}

// unescape decodes XML's five named entities and character references. It
// returns raw itself when there is nothing to decode.
func (s *xmlScanner) unescape(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 {
		return raw, nil
	}
	out := s.buf[:0]
	for len(raw) > 0 {
		a := bytes.IndexByte(raw, '&')
		if a < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:a]...)
		raw = raw[a:]
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return nil, errors.New("unterminated entity")
		}
		ent := string(raw[1:semi])
		raw = raw[semi+1:]
		switch ent {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			r, err := charRef(ent)
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
		}
	}
	s.buf = out
	return out, nil
}

func charRef(ent string) (rune, error) {
	var (
		n   uint64
		err error
	)
	switch {
	case len(ent) > 2 && (ent[:2] == "#x" || ent[:2] == "#X"):
		n, err = strconv.ParseUint(ent[2:], 16, 32)
	case len(ent) > 1 && ent[0] == '#':
		n, err = strconv.ParseUint(ent[1:], 10, 32)
	default:
		return 0, fmt.Errorf("unknown entity &%s;", ent)
	}
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, fmt.Errorf("bad character reference &%s;", ent)
	}
	return rune(n), nil
}
