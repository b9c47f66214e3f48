package aws

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Pages generated at random, well-formed but with everything XML allows
// where the decoder passes over or reads (elements of the names it reads
// nested inside others, comments, CDATA and processing instructions
// holding tags' text, quoted '>' and '/>' in attributes, prefixes,
// entities, white space), read whole and fed in random pieces, give the
// page encoding/xml's tokens give (referencePage). Half of them hold no
// '!' or '?', the pages whose unread members are passed over by name.
func TestInventoryPageDecoderReadsGeneratedPagesAsEncodingXML(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 6))
	for n := range 3000 {
		g := pageGen{r: r, markup: n%2 == 0}
		body := []byte(g.page())
		want, ok := referencePage(body)
		if !ok {
			t.Fatalf("page %d is not one encoding/xml reads:\n%s", n, body)
		}
		got, err := decodeInstancesPage(body)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("page %d read as %+v, %v; encoding/xml's tokens give %+v\n%s", n, got, err, want, body)
		}
		var d pageDecoder
		for k := 0; k < len(body) && err == nil; k += 1 + r.IntN(200) {
			err = d.feed(body[:k], false)
		}
		if err == nil {
			err = d.feed(body, true)
		}
		if err != nil || fmt.Sprint(d.page) != fmt.Sprint(want) {
			t.Fatalf("page %d fed in pieces read as %+v, %v; want %+v\n%s", n, d.page, err, want, body)
		}
	}
}

// pageGen writes a page at random; markup says whether it may hold
// comments, CDATA, processing instructions, '!' and '?'.
type pageGen struct {
	r      *rand.Rand
	markup bool
}

func (g pageGen) page() string {
	r := g.r
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`)
	g.junk(&b, 1)
	b.WriteString(`<reservationSet>`)
	for range r.IntN(4) {
		b.WriteString(`<item>`)
		g.junk(&b, 2)
		b.WriteString(`<instancesSet>`)
		for range r.IntN(4) {
			g.instance(&b)
		}
		b.WriteString(`</instancesSet>`)
		g.junk(&b, 2)
		b.WriteString(`</item>`)
	}
	b.WriteString(`</reservationSet>`)
	if r.IntN(2) == 0 {
		b.WriteString(`<nextToken>` + g.text() + `</nextToken>`)
	}
	g.junk(&b, 1)
	b.WriteString(`</DescribeInstancesResponse>`)
	return b.String()
}

func (g pageGen) instance(b *strings.Builder) {
	r := g.r
	b.WriteString(`<item>`)
	parts := []func(){
		func() { b.WriteString(`<instanceId>` + g.text() + `</instanceId>`) },
		func() { b.WriteString(`<platformDetails>` + g.text() + `</platformDetails>`) },
		func() {
			b.WriteString(`<tagSet>`)
			for range r.IntN(4) {
				key := []string{"Name", "Owner", g.text()}[r.IntN(3)]
				kv := []string{`<key>` + key + `</key>`, `<value>` + g.text() + `</value>`}
				r.Shuffle(2, func(i, j int) { kv[i], kv[j] = kv[j], kv[i] })
				b.WriteString(`<item>` + kv[0] + g.space() + kv[1] + `</item>`)
			}
			b.WriteString(`</tagSet>`)
		},
	}
	for range 3 {
		parts = append(parts, func() { g.junk(b, 3) })
	}
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for _, part := range parts[:r.IntN(len(parts)+1)] {
		part()
		b.WriteString(g.space())
	}
	b.WriteString(`</item>`)
}

// junk writes a few elements the decoder does not read, up to depth
// levels deep, with the names it reads among theirs.
func (g pageGen) junk(b *strings.Builder, depth int) {
	r := g.r
	names := []string{"x", "item", "instanceId", "tagSet", "key", "value", "networkInterfaceSet", "a:x", "instancesSet", "reservationSet"}
	for range r.IntN(3) {
		switch r.IntN(8) {
		case 0, 1:
			if g.markup && r.IntN(2) == 0 {
				b.WriteString(`<!-- ` + g.tagText() + ` -->`)
			} else if g.markup {
				b.WriteString(`<?pi ` + g.tagText() + `?>`)
			}
		case 2:
			b.WriteString(g.text())
		default:
			name := names[r.IntN(len(names))]
			attrs := []string{"", ` a="1>2"`, ` b='/>'`, ` c="x" d='y'`}[r.IntN(4)]
			if r.IntN(4) == 0 {
				b.WriteString(`<` + name + attrs + `/>`)
				continue
			}
			b.WriteString(`<` + name + attrs + `>`)
			if depth > 0 {
				g.junk(b, depth-1)
			}
			b.WriteString(g.text() + `</` + name + g.space() + `>`)
		}
	}
}

func (g pageGen) text() string {
	texts := []string{"", "i-0123", " web 1 ", "a &amp; b &lt;c&gt; &#233;", "\n    "}
	if g.markup {
		texts = append(texts, "<![CDATA["+g.tagText()+"]]>", "db!", "q?")
	}
	return texts[g.r.IntN(len(texts))]
}

func (g pageGen) tagText() string {
	return []string{"</x>", "<x>", "</item><item><instanceId>i-nope</instanceId>", "<tagSet>", "-", "</instanceId>"}[g.r.IntN(6)]
}

func (g pageGen) space() string { return []string{"", " ", "\n  "}[g.r.IntN(3)] }
