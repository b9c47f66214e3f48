package reports

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// pageCountPlaceholder is written in every page's footer where the total
// page count goes; packPDF replaces it once the count is known.
const pageCountPlaceholder = "{nb}"

// packPDF copies the uncompressed PDF that fpdf wrote in src to w, deflating
// every unfiltered stream and putting the page count in each page's footer,
// and rewrites the cross-reference table for the new offsets.
//
// fpdf v0.9.0 makes a new zlib writer (about 1 MB of state) for every page
// it compresses and fills in its page-count alias by copying every page twice;
// for a 500-page report those are two thirds of the allocation. Here one
// writer is reused for every stream and each page is read once. Only the last
// placeholder of a page's content is replaced: the footer is drawn last, so
// report data that happens to contain the placeholder is left as it is.
func packPDF(w io.Writer, src []byte, pages int) error {
	objs, xref, err := pdfObjects(src)
	if err != nil {
		return err
	}
	p := &packer{w: w, count: utf16BE(strconv.Itoa(pages)), mark: utf16BE(pageCountPlaceholder),
		contents: map[int]bool{}, offsets: make(map[int]int64, len(objs))}
	p.zw, _ = zlib.NewWriterLevel(&p.z, zlib.BestSpeed)
	p.write(src[:objs[0].off])
	for i, o := range objs {
		end := xref
		if i+1 < len(objs) {
			end = objs[i+1].off
		}
		p.offsets[o.num] = p.n
		p.object(o.num, src[o.off:end])
	}
	if p.err != nil {
		return p.err
	}
	return p.trailer(src[xref:], len(objs))
}

// packWriter packs the PDF that fpdf's Output writes to it. Output hands
// over the whole document in one Write, which is packed there without a
// copy; a document that arrives in pieces is gathered and packed by Close.
type packWriter struct {
	w     io.Writer
	pages int
	buf   []byte
	done  bool
	err   error
}

func (p *packWriter) Write(b []byte) (int, error) {
	if p.done {
		return 0, fmt.Errorf("pack pdf: write after the end of the document")
	}
	if len(p.buf) == 0 && bytes.HasSuffix(b, []byte("%%EOF\n")) {
		p.done = true
		p.err = packPDF(p.w, b, p.pages)
		return len(b), p.err
	}
	p.buf = append(p.buf, b...)
	return len(b), nil
}

func (p *packWriter) Close() error {
	if !p.done {
		p.done = true
		p.err = packPDF(p.w, p.buf, p.pages)
	}
	return p.err
}

type pdfObject struct {
	num int
	off int
}

// pdfObjects reads the cross-reference table fpdf wrote (one section from
// object 0) and returns the objects in file order and the table's offset.
func pdfObjects(src []byte) ([]pdfObject, int, error) {
	i := bytes.LastIndex(src, []byte("startxref\n"))
	if i < 0 {
		return nil, 0, fmt.Errorf("pack pdf: no startxref")
	}
	rest := src[i+len("startxref\n"):]
	nl := bytes.IndexByte(rest, '\n')
	xref, err := strconv.Atoi(string(rest[:max(nl, 0)]))
	if err != nil || xref <= 0 || xref >= len(src) || !bytes.HasPrefix(src[xref:], []byte("xref\n0 ")) {
		return nil, 0, fmt.Errorf("pack pdf: bad startxref")
	}
	p := xref + len("xref\n0 ")
	nl = bytes.IndexByte(src[p:], '\n')
	size, err := strconv.Atoi(string(src[p : p+max(nl, 0)]))
	if err != nil || size < 2 {
		return nil, 0, fmt.Errorf("pack pdf: bad xref size")
	}
	p += nl + 1 + 20 // the free entry of object 0
	objs := make([]pdfObject, 0, size-1)
	for num := 1; num < size; num++ {
		if p+20 > len(src) {
			return nil, 0, fmt.Errorf("pack pdf: xref ends at object %d of %d", num, size)
		}
		off, err := strconv.Atoi(string(src[p : p+10]))
		if err != nil || off <= 0 || off >= xref {
			return nil, 0, fmt.Errorf("pack pdf: bad offset of object %d", num)
		}
		objs = append(objs, pdfObject{num: num, off: off})
		p += 20
	}
	sort.Slice(objs, func(a, b int) bool { return objs[a].off < objs[b].off })
	return objs, xref, nil
}

type packer struct {
	w        io.Writer
	n        int64
	err      error
	zw       *zlib.Writer
	z        bytes.Buffer
	count    []byte
	mark     []byte
	contents map[int]bool // object numbers of page contents
	offsets  map[int]int64
	num      []byte
}

func (p *packer) write(b []byte) {
	if p.err != nil {
		return
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.err = err
}

func (p *packer) writeString(s string) { p.write([]byte(s)) }

var (
	pagePrefix     = []byte("<</Type /Page\n")
	contentsKey    = []byte("/Contents ")
	lengthPrefix   = []byte("<</Length ")
	streamPrefix   = []byte(">>\nstream\n")
	streamSuffix   = []byte("\nendstream\nendobj\n")
	flateLengthKey = []byte("<</Filter /FlateDecode /Length ")
	zeros          = []byte("0000000000")
)

// object copies one object, deflating its stream when it has one without a
// filter. An object of another shape is copied as it is.
func (p *packer) object(num int, obj []byte) {
	head := bytes.IndexByte(obj, '\n') + 1
	body := obj[head:]
	if bytes.HasPrefix(body, pagePrefix) {
		if i := bytes.Index(body, contentsKey); i >= 0 {
			f := bytes.Fields(body[i+len(contentsKey):])
			if len(f) > 0 {
				if c, err := strconv.Atoi(string(f[0])); err == nil {
					p.contents[c] = true
				}
			}
		}
	}
	if !bytes.HasPrefix(body, lengthPrefix) {
		p.write(obj)
		return
	}
	end := bytes.Index(body, streamPrefix)
	if end < 0 {
		p.write(obj)
		return
	}
	length, err := strconv.Atoi(string(body[len(lengthPrefix):end]))
	data := body[end+len(streamPrefix):]
	if err != nil || length != len(data)-len(streamSuffix) || !bytes.Equal(data[length:], streamSuffix) {
		p.write(obj)
		return
	}
	data = data[:length]
	p.z.Reset()
	p.zw.Reset(&p.z)
	cut := -1
	if p.contents[num] {
		cut = bytes.LastIndex(data, p.mark)
	}
	if cut >= 0 {
		_, _ = p.zw.Write(data[:cut])
		_, _ = p.zw.Write(p.count)
		_, _ = p.zw.Write(data[cut+len(p.mark):])
	} else {
		_, _ = p.zw.Write(data)
	}
	if err := p.zw.Close(); err != nil {
		p.err = fmt.Errorf("pack pdf: deflate object %d: %w", num, err)
		return
	}
	p.write(obj[:head])
	p.write(flateLengthKey)
	p.num = strconv.AppendInt(p.num[:0], int64(p.z.Len()), 10)
	p.write(p.num)
	p.write(streamPrefix)
	p.write(p.z.Bytes())
	p.write(streamSuffix)
}

// trailer writes the new cross-reference table, then the trailer as fpdf
// wrote it with the table's new offset.
func (p *packer) trailer(old []byte, objects int) error {
	xref := p.n
	p.writeString("xref\n0 " + strconv.Itoa(objects+1) + "\n0000000000 65535 f \n")
	line := make([]byte, 0, 20)
	for num := 1; num <= objects; num++ {
		line = strconv.AppendInt(line[:0], p.offsets[num], 10)
		pad := 10 - len(line)
		p.write(zeros[:pad])
		p.write(line)
		p.writeString(" 00000 n \n")
	}
	t := bytes.Index(old, []byte("trailer\n"))
	s := bytes.LastIndex(old, []byte("startxref\n"))
	if t < 0 || s < t {
		return fmt.Errorf("pack pdf: no trailer")
	}
	p.write(old[t:s])
	p.writeString("startxref\n" + strconv.FormatInt(xref, 10) + "\n%%EOF\n")
	return p.err
}

// utf16BE encodes s as fpdf writes text in a UTF-8 font: big-endian UTF-16
// code units without a byte-order mark.
func utf16BE(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}
