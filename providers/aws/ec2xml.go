package aws

import (
	"bytes"
	"errors"
	"fmt"
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
	lastPlatform   string // the platform read last (see platform)
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

// platform is p+text, the same string as the instance before's when it
// reads the same: a page's instances share a few platforms, and a string
// each would be an allocation each, kept as long as the inventory's hosts.
func (d *pageDecoder) platform(p string, text []byte) string {
	if p == "" && string(text) == d.lastPlatform {
		return d.lastPlatform
	}
	p += string(text)
	d.lastPlatform = p
	return p
}

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
			d.cur().PlatformDetails = d.platform(d.cur().PlatformDetails, text)
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
