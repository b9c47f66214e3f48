package aws

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// passedMembers are elements the inventory does not read, each with
// whether a page holding one among an instance's members (or a
// reservation's) is read (to that instance alone: ID i-0123, Name web-1)
// or refused.
var passedMembers = []struct {
	xml string
	ok  bool
}{
	{`<x>t</x>`, true},
	{`<x/>`, true},
	{`<x   ></x  >`, true},
	{`<x>t</x >`, true},
	{`<a:x>t</a:x>`, true},
	{`<x a="1>2" b='/>'>t</x>`, true},
	{`<x a="1>2"/>`, true},
	{`<xy><x></x></xy>`, true},
	// Elements of its own name inside it, nested and self-closing, and
	// elements the inventory reads deeper down.
	{`<x><x/><x a="1">b<x>c</x></x><instanceId>i-nope</instanceId></x>`, true},
	{`<x><y><tagSet><item><key>Name</key><value>nope</value></item></tagSet></y></x>`, true},
	{`<networkInterfaceSet><item><groupSet><item><groupId>sg-1</groupId></item></groupSet></item></networkInterfaceSet>`, true},
	// Comments, CDATA and processing instructions holding text that looks
	// like tags, and text holding '!' and '?'.
	{`<x><![CDATA[</x>]]></x>`, true},
	{`<x><![CDATA[<x>]]></x>`, true},
	{`<x><!-- </x><instanceId>i-nope</instanceId><x> --></x>`, true},
	{`<x><?pi </x><instanceId>i-nope</instanceId><x> ?></x>`, true},
	{`<x><y>a ! b ? c</y><x>d</x></x>`, true},
	{`<x>a ! b</x>`, true},
	{`<x><!----><x/><y a="/>"/><x a='>'>t</x></x>`, true},
	{`<!-- <instanceId>i-nope</instanceId> --><?pi <tagSet/> ?>`, true},
	// Not well-formed where it matters.
	{`<x><x></x>`, false},
	{`<x>t</y>`, false},
	{`<x><y></x></y>`, false},
	{`<x><!-- </x>`, false},
	{`<x><![CDATA[</x>`, false},
	{`<x a="1></x>`, false},
	{`<>t</>`, false},
	{`< x>t</ x>`, false},
}

// passPage is a page of one instance holding member among its members.
func passPage(member string) []byte { return passPageAt(1, member) }

// passPageAt is a page of one instance (i-0123, Name web-1) holding member
// at place 0 (among its reservation's members), 1 (between the instance's
// ID and tags), 2 (first in the instance) or 3 (last in it).
func passPageAt(place int, member string) []byte {
	at := [4]string{}
	at[place] = member
	return []byte(`<DescribeInstancesResponse><reservationSet><item><reservationId>r-1</reservationId>` + at[0] +
		`<instancesSet><item>` + at[2] + `<instanceId>i-0123</instanceId>` + at[1] +
		`<tagSet><item><key>Name</key><value>web-1</value></item></tagSet>` + at[3] +
		`</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`)
}

// The elements of an instance (or a reservation) the inventory does not
// read are passed over to their end, whatever they hold: elements of
// their own name or of a name it reads, comments, CDATA and processing
// instructions holding tags' text, quoted '>' in attributes. One whose end
// tag never comes, or that closes out of order, is an error, never a
// misread page. Read whole and fed in pieces (split anywhere), the page
// is the same.
func TestInventoryPageDecoderSkipsUnreadMembers(t *testing.T) {
	want := []pageInstance{{ID: "i-0123", Name: "web-1"}}
	for _, m := range passedMembers {
		for place := range 4 {
			body := passPageAt(place, m.xml)
			got, err := decodeInstancesPage(body)
			switch {
			case m.ok && err != nil:
				t.Errorf("%s at %d: %v", m.xml, place, err)
			case m.ok && fmt.Sprint(got.Instances) != fmt.Sprint(want):
				t.Errorf("%s at %d: read %+v", m.xml, place, got.Instances)
			case !m.ok && err == nil:
				t.Errorf("%s at %d: read as %+v, want an error", m.xml, place, got.Instances)
			}
			for cut := range len(body) {
				var d pageDecoder
				perr := d.feed(body[:cut], false)
				if perr == nil {
					perr = d.feed(body, true)
				}
				if (perr == nil) != (err == nil) || err == nil && fmt.Sprint(d.page) != fmt.Sprint(got) {
					t.Fatalf("%s at %d, split at %d: %+v, %v; whole: %+v, %v", m.xml, place, cut, d.page, perr, got, err)
				}
			}
		}
	}
}

// A page fed as it arrives is read on from where the last feed stopped,
// also inside a long element being passed over: each byte is looked at
// about once, however small the pieces. The test overwrites what has been
// passed over after each feed with the element's own end tag; read again,
// it would end the element early and the page would be refused.
func TestInventoryPageDecoderFedInPiecesReadsOn(t *testing.T) {
	inner := strings.Repeat(`<item><y>v</y><x/></item>`, 4000)
	for name, member := range map[string]string{
		"by name":        `<x>` + inner + `</x>`,
		"counting depth": `<x><!-- a comment -->` + inner + `</x>`,
	} {
		body := passPage(member)
		want, err := decodeInstancesPage(body)
		if err != nil || len(want.Instances) != 1 {
			t.Fatalf("%s: %+v, %v", name, want, err)
		}
		buf := bytes.Clone(body)
		start := bytes.Index(body, []byte(`<x>`)) + len(`<x>`)
		var d pageDecoder
		poisoned := start
		for k := 500; k < len(buf); k += 500 {
			if err := d.feed(buf[:k], false); err != nil {
				t.Fatalf("%s: fed %d bytes: %v", name, k, err)
			}
			p := d.passing
			if !p.on {
				continue
			}
			end := p.at - 64 // a tag cut short is read again
			if !p.exact {
				end = min(end, p.checked-64)
			}
			for ; poisoned+4 <= end; poisoned += 4 {
				copy(buf[poisoned:], `</x>`)
			}
		}
		if err := d.feed(buf, true); err != nil || fmt.Sprint(d.page) != fmt.Sprint(want) {
			t.Fatalf("%s: read on as %+v, %v; want %+v", name, d.page, err, want)
		}
		if poisoned-start < len(inner)*9/10 {
			t.Fatalf("%s: only %d bytes of %d written over once passed", name, poisoned-start, len(inner))
		}
	}
}

// The elements the inventory reads are checked as it reads them, however
// it reads them: one closed by an end tag of another name is an error.
func TestInventoryPageDecoderRefusesReadElementsClosedOutOfOrder(t *testing.T) {
	for _, bad := range []string{
		`<instanceId>i-0123</instanceID>`,
		`<instanceId>i-0123</instanceIdx>`,
		`<instanceId>i-0123</platformDetails>`,
		`<tagSet><item><key>Name</kez><value>web-1</value></item></tagSet>`,
		`<tagSet><item><key>Name</key><value>web-1</values></item></tagSet>`,
		`<tagSet><item><key>Name</key><value>web-1</value></tagSet>`,
	} {
		body := []byte(`<DescribeInstancesResponse><reservationSet><item><instancesSet><item>` + bad +
			`</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`)
		if p, err := decodeInstancesPage(body); err == nil {
			t.Errorf("%s read as %+v, want an error", bad, p.Instances)
		}
	}
}

// The instances of a page share the string of a platform they share: the
// decoder allocates about one string per instance (its ID) for a page of
// instances with no Name tag and one platform, not two.
func TestInventoryPageDecoderSharesPlatformStrings(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<DescribeInstancesResponse><reservationSet><item><instancesSet>`)
	const n = 200
	for i := range n {
		fmt.Fprintf(&b, `<item><instanceId>i-%04d</instanceId><platformDetails>Linux/UNIX</platformDetails></item>`, i)
	}
	b.WriteString(`</instancesSet></item></reservationSet></DescribeInstancesResponse>`)
	body := []byte(b.String())
	allocs := testing.AllocsPerRun(20, func() {
		if p, err := decodeInstancesPage(body); err != nil || len(p.Instances) != n || p.Instances[n-1].PlatformDetails != "Linux/UNIX" {
			t.Fatalf("%d instances, %v", len(p.Instances), err)
		}
	})
	if allocs > n*5/4 {
		t.Errorf("%.0f allocations for a page of %d instances, want at most %d", allocs, n, n*5/4)
	}
}
