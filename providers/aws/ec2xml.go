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

// decodeInstancesPage reads a whole DescribeInstances response body (the
// EC2 query protocol's XML); see pageDecoder.
func decodeInstancesPage(body []byte) (instancesPage, error) {
	var d pageDecoder
	if err := d.feed(body, true); err != nil {
		return instancesPage{}, err
	}
	return d.page, nil
}

// pageDecoder reads a DescribeInstances response body (the EC2 query
// protocol's XML) while it arrives and keeps only the instance ID, the
// platform, the Name tag and the next page's token. It scans the bytes
// itself: the SDK's decoder builds every field of every instance through
// encoding/xml, which was ~45% of the inventory's CPU at 10,000 instances.
// Anything that is not well-formed to the end (a truncated or cut-off
// body, mismatched tags, no DescribeInstancesResponse root) is an error,
// never a shorter page. The members of an instance (and of a reservation)
// it does not read (network interfaces, block devices, placement, … about
// 95% of a real page's bytes) are passed over to the next member it reads
// or the element's end tag without being tokenized (xmlScanner.pass): an
// end tag that never comes is still an error. Each instance is handed to
// onInstance (when set) as soon as its element closes, before the rest of
// the page has arrived.
type pageDecoder struct {
	page       instancesPage
	onInstance func(pageInstance)

	sc             xmlScanner
	stack          [12][]byte // element names; deeper ones are counted, not kept
	depth          int
	root, done     bool
	inst           bool    // the element at depth 5 is an instance (see inInstance)
	passing        xmlPass // a pass over unread members, while it waits for bytes
	passed         bool    // the last pass stopped at the next token; read it
	tagKey, tagVal []byte
}

func (d *pageDecoder) at(i int, name string) bool {
	return d.depth > i && i < len(d.stack) && string(d.stack[i]) == name
}

// inInstance: the element at depth 5 is reservationSet/item/instancesSet/item.
func (d *pageDecoder) inInstance() bool {
	return d.depth >= 5 && d.at(1, "reservationSet") && d.at(2, "item") && d.at(3, "instancesSet") && d.at(4, "item")
}

func (d *pageDecoder) inTag() bool {
	return d.depth >= 7 && d.inst && d.at(5, "tagSet") && d.at(6, "item")
}

func (d *pageDecoder) cur() *pageInstance { return &d.page.Instances[len(d.page.Instances)-1] }

// feed reads on through b, every byte of the body read so far (each call's
// b extends the previous one's and keeps its bytes), stopping at a token
// b does not hold whole until final says the body has ended. The names it
// keeps point into b, so b's bytes must not change while feeding.
func (d *pageDecoder) feed(b []byte, final bool) error {
	d.sc.b, d.sc.partial = b, !final
	for !d.done {
		if read := d.passOver(); read != readAll {
			if err := d.sc.pass(&d.passing, read); err == errMore {
				return nil
			} else if err != nil {
				return fmt.Errorf("decode DescribeInstances response: in %q: %w", d.stack[d.depth-1], err)
			}
			d.passed = true
		}
		kind, name, text, err := d.sc.next()
		if err == errMore {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decode DescribeInstances response: %w", err)
		}
		if err := d.token(kind, name, text); err != nil {
			return err
		}
		if kind == tokStart && d.sc.pendEnd == nil {
			if err := d.leaf(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// leaf reads the text and the end tag of the element just opened (name)
// at once when the next '<' opens that end tag, as the tokens they are.
func (d *pageDecoder) leaf(name []byte) error {
	raw, ok := d.sc.leafText(name)
	if !ok {
		return nil
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		text, err := d.sc.unescape(raw)
		if err != nil {
			return fmt.Errorf("decode DescribeInstances response: %w", err)
		}
		if err := d.token(tokText, nil, text); err != nil {
			return err
		}
	}
	return d.token(tokEnd, name, nil)
}

// passOver is which children of the element open at the scanner are
// read, the rest being passed over (xmlScanner.pass), or readAll when the
// next token is to be read.
func (d *pageDecoder) passOver() readMembers {
	switch {
	case d.passed || d.sc.pendEnd != nil:
		return readAll
	case d.depth == 5 && d.inst:
		return instanceMembers
	case d.depth == 3 && d.at(1, "reservationSet") && d.at(2, "item"):
		return reservationMembers
	}
	return readAll
}

func (d *pageDecoder) token(kind tokKind, name, text []byte) error {
	d.passed = false
	switch kind {
	case tokEOF:
		if d.depth != 0 || !d.root {
			return errors.New("decode DescribeInstances response: the body ends before its root element closes")
		}
		d.done = true
	case tokStart:
		if d.depth == 0 {
			if d.root || string(name) != "DescribeInstancesResponse" {
				return fmt.Errorf("decode DescribeInstances response: root element %q", name)
			}
			d.root = true
		}
		if d.depth < len(d.stack) {
			d.stack[d.depth] = name
		}
		d.depth++
		switch {
		case d.depth == 5:
			if d.inst = d.inInstance(); d.inst {
				d.page.Instances = append(d.page.Instances, pageInstance{})
			}
		case d.depth == 7 && d.inTag():
			d.tagKey, d.tagVal = d.tagKey[:0], d.tagVal[:0]
		}
	case tokEnd:
		if d.depth == 0 || (d.depth <= len(d.stack) && !bytes.Equal(d.stack[d.depth-1], name)) {
			return fmt.Errorf("decode DescribeInstances response: %q closed out of order", name)
		}
		switch {
		case d.depth == 7 && d.inTag() && string(d.tagKey) == "Name":
			d.cur().Name = string(d.tagVal)
		case d.depth == 5 && d.inst:
			if d.onInstance != nil {
				d.onInstance(*d.cur())
			}
			d.inst = false
		}
		d.depth--
	case tokText:
		switch {
		case d.depth == 2 && d.at(1, "nextToken"):
			d.page.NextToken += string(text)
		case d.depth == 6 && d.inst && string(d.stack[5]) == "instanceId":
			d.cur().ID += string(text)
		case d.depth == 6 && d.inst && string(d.stack[5]) == "platformDetails":
			d.cur().PlatformDetails += string(text)
		case d.depth == 8 && d.inTag() && string(d.stack[7]) == "key":
			d.tagKey = append(d.tagKey, text...)
		case d.depth == 8 && d.inTag() && string(d.stack[7]) == "value":
			d.tagVal = append(d.tagVal, text...)
		}
	}
	return nil
}

// readMembers is which children of an element the decoder reads.
type readMembers uint8

const (
	readAll            readMembers = iota
	instanceMembers                // instanceId, platformDetails, tagSet
	reservationMembers             // instancesSet
)

// has reports whether the child of this local name is read.
func (r readMembers) has(local []byte) bool {
	switch r {
	case instanceMembers:
		switch string(local) {
		case "instanceId", "platformDetails", "tagSet":
			return true
		}
		return false
	case reservationMembers:
		return string(local) == "instancesSet"
	}
	return true
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
	switch {
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		j := bytes.Index(rest, []byte("]]>"))
		if j < 0 {
			return nil, s.cut(errors.New("unterminated CDATA section"))
		}
		s.i += j + 3
		return rest[9:j:j], nil
	case bytes.HasPrefix(rest, []byte("<!--")):
		j := bytes.Index(rest, []byte("-->"))
		if j < 0 {
			return nil, s.cut(errors.New("unterminated comment"))
		}
		s.i += j + 3
	default:
		j := markupEnd(rest)
		if j < 0 {
			return nil, s.cut(errors.New("unterminated declaration or processing instruction"))
		}
		s.i += j
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
