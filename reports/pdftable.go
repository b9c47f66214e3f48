package reports

import (
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
type table struct {
	pdf    *fpdf.Fpdf
	cols   []column
	budget []int // characters that fit in each column
	bottom float64
}

func newTable(pdf *fpdf.Fpdf, cols []column) *table {
	t := &table{pdf: pdf, cols: cols, budget: make([]int, len(cols))}
	// Go Regular at 7 pt averages about 1.35 mm per character.
	for i, c := range cols {
		t.budget[i] = int((c.width - 1) / 1.35)
	}
	_, h := pdf.GetPageSize()
	t.bottom = h - 15
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
}

func (t *table) row(cells ...string) {
	if t.pdf.GetY()+rowH > t.bottom {
		t.pdf.AddPage()
		t.header()
	}
	for i, c := range t.cols {
		s := ""
		if i < len(cells) {
			s = clip(cells[i], t.budget[i])
		}
		t.pdf.CellFormat(c.width, rowH, s, "1", 0, "L", false, 0, "")
	}
	t.pdf.Ln(-1)
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
