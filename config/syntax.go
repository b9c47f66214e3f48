package config

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yaml.v3's parser (as opposed to its scanner) numbers lines from 0 in its
// messages; these are its parser problems, whose line needs one added.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntax turns a yaml.v3 error into a Problem with a line. yaml.v3 omits
// the line when it is the first, for an unknown anchor, and for bad bytes
// (invalid UTF-8, control characters); the last two are located here by
// looking for them, and anything still unplaced is put on line 1.
func (d *decoder) syntax(err error, data []byte) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, p := range parserProblems {
			if strings.HasPrefix(m[2], p) {
				line++
				break
			}
		}
		d.probs = append(d.probs, Problem{File: d.file, Line: line, Message: "YAML: " + m[2]})
		return
	}
	line := 1
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		line = lineOf(data, bytes.Index(data, []byte("*"+m[1])))
	} else {
		line = lineOf(data, badByte(data))
	}
	d.probs = append(d.probs, Problem{File: d.file, Line: line, Message: "YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

// badByte is the offset of the first byte YAML refuses: invalid UTF-8, or a
// control character other than tab, newline and carriage return; -1 if none.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}

// lineOf is the 1-based line holding offset; 1 for a negative offset.
func lineOf(data []byte, offset int) int {
	if offset < 0 {
		return 1
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
