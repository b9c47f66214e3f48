package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// jsonScanner reads one JSON document member by member, so a lean decoder
// keeps the few members it needs and steps over the rest without building
// them. Every value it steps over is still checked to be well-formed, and
// a document cut anywhere is an error.
type jsonScanner struct {
	b []byte
	i int
}

var errJSONEnd = errors.New("unexpected end of JSON")

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next significant byte, 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *jsonScanner) expect(c byte) error {
	switch got := s.peek(); {
	case got == 0:
		return errJSONEnd
	case got != c:
		return fmt.Errorf("JSON: %q at offset %d, want %q", got, s.i, c)
	}
	s.i++
	return nil
}

// end checks that nothing but white space follows the document.
func (s *jsonScanner) end() error {
	if s.peek() != 0 {
		return fmt.Errorf("JSON: data after the document at offset %d", s.i)
	}
	return nil
}

// object calls member for each member of an object; member reads the value.
func (s *jsonScanner) object(member func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		case 0:
			return errJSONEnd
		default:
			return fmt.Errorf("JSON: %q at offset %d in an object", s.b[s.i], s.i)
		}
	}
}

// array calls elem for each element of an array; elem reads the value.
func (s *jsonScanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		case 0:
			return errJSONEnd
		default:
			return fmt.Errorf("JSON: %q at offset %d in an array", s.b[s.i], s.i)
		}
	}
}

// null consumes a null if one is next.
func (s *jsonScanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

// str reads a string value; null reads as "".
func (s *jsonScanner) str() (string, error) {
	return s.strLike("")
}

// strLike is str, returning like itself when the value equals it, so
// values repeated entry after entry share one string.
func (s *jsonScanner) strLike(like string) (string, error) {
	if n, err := s.null(); n || err != nil {
		return "", err
	}
	start := s.i
	raw, err := s.rawString()
	switch {
	case err != nil:
		return "", err
	case bytes.IndexByte(raw, '\\') >= 0:
		// Escapes are rare in these answers: encoding/json decodes them.
		var v string
		err = json.Unmarshal(s.b[start:s.i], &v)
		return v, err
	case string(raw) == like:
		return like, nil
	}
	return string(raw), nil
}

// strBytes reads a string value without making a string of it, for
// values only compared; escapes are decoded, null reads as empty. The
// bytes may be the document's own: keep them no longer than it.
func (s *jsonScanner) strBytes() ([]byte, error) {
	if n, err := s.null(); n || err != nil {
		return nil, err
	}
	start := s.i
	raw, err := s.rawString()
	if err != nil || bytes.IndexByte(raw, '\\') < 0 {
		return raw, err
	}
	var v string
	err = json.Unmarshal(s.b[start:s.i], &v)
	return []byte(v), err
}

// rawString reads a string and returns its bytes between the quotes,
// escapes undecoded (keys compared to plain names need no decoding).
func (s *jsonScanner) rawString() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], nil
		case c == '\\':
			s.i += 2
		case c < 0x20:
			return nil, fmt.Errorf("JSON: control character in a string at offset %d", s.i)
		default:
			s.i++
		}
	}
	return nil, errJSONEnd
}

// number reads a number value; null reads as 0.
func (s *jsonScanner) number() (float64, error) {
	if n, err := s.null(); n || err != nil {
		return 0, err
	}
	raw, err := s.rawNumber()
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(string(raw), 64)
}

func (s *jsonScanner) rawNumber() ([]byte, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.i++
			continue
		}
		break
	}
	raw := s.b[start:s.i]
	if s.i >= len(s.b) {
		// A number is never the last byte of a document these decoders accept.
		return nil, errJSONEnd
	}
	if !validNumber(raw) {
		return nil, fmt.Errorf("JSON: bad number %q at offset %d", raw, start)
	}
	return raw, nil
}

// validNumber is JSON's number grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, checked in one pass
// (json.Valid set up a whole scanner for each of the thousands of counts
// and timestamps an inventory reads).
func validNumber(b []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

func (s *jsonScanner) literal(word string) error {
	s.ws()
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		if len(s.b)-s.i < len(word) && bytes.HasPrefix([]byte(word), s.b[s.i:]) {
			return errJSONEnd
		}
		return fmt.Errorf("JSON: bad literal at offset %d", s.i)
	}
	s.i += len(word)
	return nil
}

// skip steps over any value, checking it is well-formed.
func (s *jsonScanner) skip() error {
	switch c := s.peek(); {
	case c == 0:
		return errJSONEnd
	case c == '{':
		return s.object(func([]byte) error { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		_, err := s.rawString()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, err := s.rawNumber()
		return err
	}
}
