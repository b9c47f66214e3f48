package aws

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// instancesPage is what the inventory reads of one DescribeInstances page.
type instancesPage struct {
	Instances []pageInstance
	NextToken string
}

// pageInstance is one instance as the inventory needs it.
type pageInstance struct {
	ID, PlatformDetails, Name string
}

// decodeInstancesPage reads a DescribeInstances response body (the EC2
// query protocol's XML) and keeps only the instance ID, the platform, the
// Name tag and the next page's token. It scans the bytes itself: the SDK's
// decoder builds every field of every instance through encoding/xml, which
// was ~45% of the inventory's CPU at 10,000 instances. Anything that is not
// well-formed to the end (a truncated or cut-off body, mismatched tags, no
// DescribeInstancesResponse root) is an error, never a shorter page.
func decodeInstancesPage(body []byte) (instancesPage, error) {
	var (
		page           instancesPage
		sc             = xmlScanner{b: body}
		stack          [12][]byte // element names; deeper ones are counted, not kept
		depth          int
		root           bool
		tagKey, tagVal []byte
	)
	at := func(d int, name string) bool { return depth > d && d < len(stack) && string(stack[d]) == name }
	// inInstance: the element at depth 5 is reservationSet/item/instancesSet/item.
	inInstance := func() bool {
		return depth >= 5 && at(1, "reservationSet") && at(2, "item") && at(3, "instancesSet") && at(4, "item")
	}
	inTag := func() bool { return depth >= 7 && inInstance() && at(5, "tagSet") && at(6, "item") }
	cur := func() *pageInstance { return &page.Instances[len(page.Instances)-1] }
	for {
		kind, name, text, err := sc.next()
		if err != nil {
			return instancesPage{}, fmt.Errorf("decode DescribeInstances response: %w", err)
		}
		switch kind {
		case tokEOF:
			if depth != 0 || !root {
				return instancesPage{}, errors.New("decode DescribeInstances response: the body ends before its root element closes")
			}
			return page, nil
		case tokStart:
			if depth == 0 {
				if root || string(name) != "DescribeInstancesResponse" {
					return instancesPage{}, fmt.Errorf("decode DescribeInstances response: root element %q", name)
				}
				root = true
			}
			if depth < len(stack) {
				stack[depth] = name
			}
			depth++
			switch {
			case depth == 5 && inInstance():
				page.Instances = append(page.Instances, pageInstance{})
			case depth == 7 && inTag():
				tagKey, tagVal = tagKey[:0], tagVal[:0]
			}
		case tokEnd:
			if depth == 0 || (depth <= len(stack) && !bytes.Equal(stack[depth-1], name)) {
				return instancesPage{}, fmt.Errorf("decode DescribeInstances response: %q closed out of order", name)
			}
			if depth == 7 && inTag() && string(tagKey) == "Name" {
				cur().Name = string(tagVal)
			}
			depth--
		case tokText:
			switch {
			case depth == 2 && at(1, "nextToken"):
				page.NextToken += string(text)
			case depth == 6 && inInstance() && string(stack[5]) == "instanceId":
				cur().ID += string(text)
			case depth == 6 && inInstance() && string(stack[5]) == "platformDetails":
				cur().PlatformDetails += string(text)
			case depth == 8 && inTag() && string(stack[7]) == "key":
				tagKey = append(tagKey, text...)
			case depth == 8 && inTag() && string(stack[7]) == "value":
				tagVal = append(tagVal, text...)
			}
		}
	}
}

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
type xmlScanner struct {
	b       []byte
	i       int
	pendEnd []byte // the end of a self-closing tag, returned next
	buf     []byte
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
		rest := s.b[s.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			j := bytes.Index(rest, []byte("]]>"))
			if j < 0 {
				return 0, nil, nil, errors.New("unterminated CDATA section")
			}
			s.i += j + 3
			return tokText, nil, rest[9:j], nil
		case bytes.HasPrefix(rest, []byte("<!--")):
			j := bytes.Index(rest, []byte("-->"))
			if j < 0 {
				return 0, nil, nil, errors.New("unterminated comment")
			}
			s.i += j + 3
			continue
		case bytes.HasPrefix(rest, []byte("<?")), bytes.HasPrefix(rest, []byte("<!")):
			j := bytes.IndexByte(rest, '>')
			if j < 0 {
				return 0, nil, nil, errors.New("unterminated declaration")
			}
			s.i += j + 1
			continue
		}
		return s.tag()
	}
	return tokEOF, nil, nil, nil
}

// tag reads <name attr="…">, </name> or <name/> at s.i.
func (s *xmlScanner) tag() (tokKind, []byte, []byte, error) {
	rest := s.b[s.i:]
	if len(rest) < 2 {
		return 0, nil, nil, errors.New("truncated tag")
	}
	closing := rest[1] == '/'
	k := 1
	if closing {
		k = 2
	}
	n := k
	for n < len(rest) && !isNameEnd(rest[n]) {
		n++
	}
	name := rest[k:n]
	if len(name) == 0 {
		return 0, nil, nil, fmt.Errorf("malformed tag at byte %d", s.i)
	}
	if c := bytes.IndexByte(name, ':'); c >= 0 {
		name = name[c+1:] // the local name; EC2 uses none, but a prefix is legal
	}
	// Skip attributes up to '>', respecting quoted values.
	var quote byte
	for ; n < len(rest); n++ {
		c := rest[n]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			s.i += n + 1
			if closing {
				return tokEnd, name, nil, nil
			}
			if rest[n-1] == '/' {
				s.pendEnd = name
			}
			return tokStart, name, nil, nil
		}
	}
	return 0, nil, nil, fmt.Errorf("truncated tag %q", name)
}

func isNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/'
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
