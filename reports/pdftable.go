package reports

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

type column struct {
	title string
	width float64 // mm
}

// table draws rows one at a time, starting a new page with the header
// repeated whenever the next row would not fit. Cells are cut to their
// column's width by a character budget rather than measured, which keeps
// 20,000-row tables fast.
//
// A row is written as one piece of page content (the line under it and its
// text in one text object) with its coordinates formatted once; the column
// lines are drawn once for each page's block of rows, when the block ends
// (a page break, the page's footer, the next table). Through fpdf's
// CellFormat a 20,000-host table cost 200,000 calls that each format six
// coordinates with fmt and draw four borders. fpdf embeds only the glyphs its own
// text calls have used, so a row holding a character no earlier row had is
// drawn through CellFormat, which registers it; the page looks the same
// either way.
type table struct {
	pdf    *fpdf.Fpdf
	cols   []column
	budget []int // characters that fit in each column
	bottom float64
	glyphs *glyphSet // characters the body font has registered

	k, pageH, left, cellMargin, baseline float64
	blockTop, blockEnd                   float64  // this page's rows
	lineX, textDX                        [][]byte // formatted once
	cells                                []string
	buf, num                             []byte
	rd                                   bytes.Reader
}

// newTable starts a table drawn on r's PDF in the body font (Go Regular, 7 pt).
func (r *renderer) newTable(cols []column) *table {
	r.closeTable()
	t := &table{pdf: r.pdf, cols: cols, budget: make([]int, len(cols)), glyphs: &r.glyphs}
	r.table = t
	// Go Regular at 7 pt averages about 1.35 mm per character.
	for i, c := range cols {
		t.budget[i] = int((c.width - 1) / 1.35)
	}
	_, t.pageH = r.pdf.GetPageSize()
	t.bottom = t.pageH - 15
	t.k = r.pdf.GetConversionRatio()
	t.left, _, _, _ = r.pdf.GetMargins()
	t.cellMargin = r.pdf.GetCellMargin()
	// Where CellFormat puts the baseline of left-aligned text in a cell.
	t.baseline = .5*rowH + .3*7/t.k
	// Rows differ only in their y: the x of lines and text are written once.
	x := t.left
	for i, c := range cols {
		t.lineX = append(t.lineX, pdfNum(nil, x*t.k))
		if i > 0 {
			t.textDX = append(t.textDX, pdfNum(nil, cols[i-1].width*t.k))
		} else {
			t.textDX = append(t.textDX, pdfNum(nil, (x+t.cellMargin)*t.k))
		}
		x += c.width
	}
	t.lineX = append(t.lineX, pdfNum(nil, x*t.k))
	return t
}

func (t *table) header() {
	t.pdf.SetFont(fontFamily, "B", 7)
	t.pdf.SetFillColor(220, 220, 220)
	for _, c := range t.cols {
		t.pdf.CellFormat(c.width, rowH+0.8, c.title, "1", 0, "L", true, 0, "")
	}
	t.pdf.Ln(-1)
	t.pdf.SetFont(fontFamily, "", 7)
	t.blockTop = t.pdf.GetY()
	t.blockEnd = t.blockTop
}

// closeTable draws the column lines of the last table's rows on this page.
func (r *renderer) closeTable() {
	if r.table != nil {
		r.table.drawColumns()
	}
}

// drawColumns draws the column lines of the rows since the last call.
func (t *table) drawColumns() {
	if t.blockEnd <= t.blockTop {
		return
	}
	top := pdfNum(nil, (t.pageH-t.blockTop)*t.k)
	bottom := pdfNum(nil, (t.pageH-t.blockEnd)*t.k)
	b := t.buf[:0]
	for _, x := range t.lineX {
		b = append(b, x...)
		b = append(b, top...)
		b = append(b, "m "...)
		b = append(b, x...)
		b = append(b, bottom...)
		b = append(b, "l "...)
	}
	b = append(b, 'S')
	t.write(b)
	t.blockTop = t.blockEnd
}

func (t *table) write(b []byte) {
	t.buf = b
	t.rd.Reset(b)
	t.pdf.RawWriteBuf(&t.rd)
}

// newPage ends this page's block of rows and starts the next page.
func (t *table) newPage() {
	t.drawColumns()
	t.pdf.AddPage()
	t.header()
}

// row draws one row in the body font that header set.
func (t *table) row(cells ...string) {
	if t.pdf.GetY()+rowH > t.bottom {
		t.newPage()
	}
	t.cells = t.cells[:0]
	known := true
	for i := range t.cols {
		s := ""
		if i < len(cells) {
			s = clip(cells[i], t.budget[i])
		}
		t.cells = append(t.cells, s)
		known = known && t.glyphs.has(s)
	}
	if !known {
		t.slowRow()
		for _, s := range t.cells {
			t.glyphs.add(s)
		}
		return
	}
	y := t.pdf.GetY()
	b := t.buf[:0]
	t.num = pdfNum(t.num[:0], (t.pageH-(y+rowH))*t.k)
	b = append(b, t.lineX[0]...)
	b = append(b, t.num...)
	b = append(b, "m "...)
	b = append(b, t.lineX[len(t.lineX)-1]...)
	b = append(b, t.num...)
	b = append(b, "l S q "...)
	b = t.textColor(b)
	b = append(b, " BT "...)
	t.num = pdfNum(t.num[:0], (t.pageH-(y+t.baseline))*t.k)
	for i, s := range t.cells {
		// Td moves from the previous cell's start; the first sets the row's.
		b = append(b, t.textDX[i]...)
		if i == 0 {
			b = append(b, t.num...)
		} else {
			b = append(b, "0 "...)
		}
		b = append(b, "Td"...)
		if s != "" {
			b = append(b, " ("...)
			b = appendPDFText(b, s)
			b = append(b, ")Tj"...)
		}
		b = append(b, ' ')
	}
	b = append(b, "ET Q"...)
	t.write(b)
	t.blockEnd = y + rowH
	t.pdf.SetY(y + rowH)
}

// total draws a row in bold, as a table's last line of sums.
func (t *table) total(cells ...string) {
	if t.pdf.GetY()+rowH > t.bottom {
		t.newPage()
	}
	t.pdf.SetFont(fontFamily, "B", 8)
	t.cells = t.cells[:0]
	for i := range t.cols {
		s := ""
		if i < len(cells) {
			s = clip(cells[i], t.budget[i])
		}
		t.cells = append(t.cells, s)
	}
	t.slowRow()
	t.pdf.SetFont(fontFamily, "", 7)
}

// slowRow draws t.cells through fpdf.
func (t *table) slowRow() {
	for i, c := range t.cols {
		t.pdf.CellFormat(c.width, rowH, t.cells[i], "1", 0, "L", false, 0, "")
	}
	t.pdf.Ln(-1)
	t.blockEnd = t.pdf.GetY()
}

// textColor appends the fill-colour operator for the current text colour,
// as fpdf writes it.
func (t *table) textColor(b []byte) []byte {
	r, g, bl := t.pdf.GetTextColor()
	if r == g && g == bl {
		b = strconvFixed(b, float64(r)/255, 3)
		return append(b, " g"...)
	}
	for _, v := range []int{r, g, bl} {
		b = strconvFixed(b, float64(v)/255, 3)
		b = append(b, ' ')
	}
	return append(b, "rg"...)
}

func strconvFixed(b []byte, v float64, prec int) []byte {
	return strconv.AppendFloat(b, v, 'f', prec, 64)
}

// pdfNum appends v with two decimals, as fpdf's %.2f, and a space.
func pdfNum(b []byte, v float64) []byte {
	return append(strconvFixed(b, v, 2), ' ')
}

// appendPDFText appends s as a PDF literal string's content in a UTF-8 font:
// big-endian UTF-16 code units with \, ( and ) and CR escaped bytewise, as
// fpdf encodes text. Only characters of the Basic Multilingual Plane reach
// here (glyphSet.has refuses others).
func appendPDFText(b []byte, s string) []byte {
	for _, r := range s {
		for _, c := range [2]byte{byte(r >> 8), byte(r)} {
			switch c {
			case '\\', '(', ')':
				b = append(b, '\\', c)
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, c)
			}
		}
	}
	return b
}

// glyphSet is the characters a font has already drawn through fpdf.
type glyphSet struct {
	ascii [utf8.RuneSelf]bool
	other map[rune]bool
}

// has reports whether every character of s is in the set. Characters fpdf
// cannot encode as one UTF-16 unit, and invalid UTF-8, never are.
func (g *glyphSet) has(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if !g.ascii[r] {
				return false
			}
			continue
		}
		if r == utf8.RuneError || r > 0xFFFF || !g.other[r] {
			return false
		}
	}
	return true
}

func (g *glyphSet) add(s string) {
	for _, r := range s {
		if r < utf8.RuneSelf {
			g.ascii[r] = true
			continue
		}
		if r == utf8.RuneError || r > 0xFFFF {
			continue
		}
		if g.other == nil {
			g.other = map[rune]bool{}
		}
		g.other[r] = true
	}
}

// clip cuts s to at most n characters, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, count := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
			break
		}
		count++
	}
	return s[:cut] + "…"
}
