package aws

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// referencePage reads body as pageDecoder does, through encoding/xml's
// strict decoder, which checks every byte of it: ok is false when
// encoding/xml finds body not well-formed, or when it holds what the two
// readers need not agree on (carriage returns, which encoding/xml turns
// into newlines; declarations such as a DTD, whose internal subset
// pageDecoder does not parse). A body it reads is one pageDecoder must
// read too, to the same page.
func referencePage(body []byte) (page instancesPage, ok bool) {
	if bytes.IndexByte(body, '\r') >= 0 {
		return page, false
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var (
		path           []string
		roots          int
		inst           bool
		tagKey, tagVal string
		prev           int64
	)
	at := func(i int, name string) bool { return len(path) > i && path[i] == name }
	for {
		tok, err := dec.RawToken()
		off := dec.InputOffset()
		raw := body[prev:off]
		prev = off
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return page, false
		}
		switch t := tok.(type) {
		case xml.Directive:
			return page, false
		case xml.StartElement:
			if len(path) == 0 {
				if roots++; roots > 1 || localOf(t.Name) != "DescribeInstancesResponse" {
					return page, false
				}
			}
			path = append(path, localOf(t.Name))
			switch {
			case len(path) == 5 && at(1, "reservationSet") && at(2, "item") && at(3, "instancesSet") && at(4, "item"):
				inst = true
				page.Instances = append(page.Instances, pageInstance{})
			case len(path) == 7 && inst && at(5, "tagSet") && at(6, "item"):
				tagKey, tagVal = "", ""
			}
		case xml.EndElement:
			if len(path) == 0 || path[len(path)-1] != localOf(t.Name) {
				return page, false
			}
			switch {
			case len(path) == 7 && inst && at(5, "tagSet") && at(6, "item") && tagKey == "Name":
				page.Instances[len(page.Instances)-1].Name = tagVal
			case len(path) == 5 && inst:
				inst = false
			}
			path = path[:len(path)-1]
		case xml.CharData:
			// pageDecoder passes over text that is only white space,
			// unless a CDATA section holds it.
			if !bytes.HasPrefix(raw, []byte("<![CDATA[")) && len(bytes.TrimSpace(raw)) == 0 {
				continue
			}
			cur := func() *pageInstance { return &page.Instances[len(page.Instances)-1] }
			switch {
			case len(path) == 2 && at(1, "nextToken"):
				page.NextToken += string(t)
			case len(path) == 6 && inst && at(5, "instanceId"):
				cur().ID += string(t)
			case len(path) == 6 && inst && at(5, "platformDetails"):
				cur().PlatformDetails += string(t)
			case len(path) == 8 && inst && at(5, "tagSet") && at(6, "item") && at(7, "key"):
				tagKey += string(t)
			case len(path) == 8 && inst && at(5, "tagSet") && at(6, "item") && at(7, "value"):
				tagVal += string(t)
			}
		}
	}
	return page, roots == 1 && len(path) == 0
}

// localOf is the local name pageDecoder reads for n: what follows the
// first ':' of the name as written.
func localOf(n xml.Name) string {
	full := n.Local
	if n.Space != "" {
		full = n.Space + ":" + n.Local
	}
	if _, local, ok := strings.Cut(full, ":"); ok {
		return local
	}
	return full
}
