package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// streamedSlice is the length from which a slice field of the evidence is
// written one element at a time: encoding/json builds a whole document in
// memory before writing it, and at 20,000 hosts that is ~15 MB (more while
// its buffer doubles) on top of the hosts themselves.
const streamedSlice = 64

// writeJSONStream writes v, a struct, as json.Marshal would followed by a
// newline (as json.Encoder does), but encodes each field on its own and each
// element of a long slice field on its own, so no more than one element's
// encoding is held at a time. TestEvidenceStreamMatchesMarshal checks the
// bytes are the same as json.Marshal's.
func writeJSONStream(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("writeJSONStream: %s is not a struct", rv.Type())
	}
	rt := rv.Type()
	_ = bw.WriteByte('{')
	first := true
	for i := range rt.NumField() {
		sf := rt.Field(i)
		name, omitEmpty, ok := jsonField(sf)
		if !ok {
			continue
		}
		fv := rv.Field(i)
		if omitEmpty && emptyJSON(fv) {
			continue
		}
		if !first {
			_ = bw.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(name)
		_, _ = bw.Write(key)
		_ = bw.WriteByte(':')
		if err := writeJSONValue(bw, fv); err != nil {
			return fmt.Errorf("field %s: %w", sf.Name, err)
		}
	}
	_, _ = bw.WriteString("}\n")
	return bw.Flush()
}

// writeJSONValue writes one field: a long slice element by element,
// anything else whole.
func writeJSONValue(w *bufio.Writer, fv reflect.Value) error {
	if fv.Kind() != reflect.Slice || fv.IsNil() || fv.Len() < streamedSlice || fv.Type().Elem().Kind() == reflect.Uint8 {
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	_ = w.WriteByte('[')
	for i := range fv.Len() {
		if i > 0 {
			_ = w.WriteByte(',')
		}
		b, err := json.Marshal(fv.Index(i).Addr().Interface())
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.WriteByte(']')
}

// jsonField reads a field's json tag: its name, whether omitempty is set,
// and whether it is encoded at all.
func jsonField(sf reflect.StructField) (name string, omitEmpty, ok bool) {
	if !sf.IsExported() || sf.Anonymous {
		return "", false, false
	}
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = sf.Name
	}
	for _, o := range strings.Split(opts, ",") {
		if o == "omitempty" {
			omitEmpty = true
		}
	}
	return name, omitEmpty, true
}

// emptyJSON is encoding/json's notion of empty for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
