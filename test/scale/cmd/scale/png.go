package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/patchgate/patchgate/test/scale"
)

// figure is one chart: a value of each result, drawn as a bar per backend
// at every size.
type figure struct {
	file, title, unit string
	value             func(scale.Result) float64
	limit             float64 // a target line, 0 for none
}

var figures = []figure{
	{"scale-peak-rss.png", "peak RSS", "MB", func(r scale.Result) float64 { return float64(r.PeakRSS) / (1 << 20) }, 150},
	{"scale-cpu.png", "CPU per run", "s", func(r scale.Result) float64 { return r.CPU }, 0},
	{"scale-bytes-written.png", "bytes written to the store per cycle", "MB", func(r scale.Result) float64 { return float64(r.BytesPerCycle) / (1 << 20) }, 0},
	{"scale-cycle-record.png", "largest cycle record", "KB", func(r scale.Result) float64 { return float64(r.CycleRecordMax) / 1024 }, 64},
	{"scale-idle-tick.png", "idle tick CPU per active cycle", "us", func(r scale.Result) float64 { return r.IdleTickCPUPerCyc * 1e6 }, 0},
	{"scale-slack-calls.png", "Slack Web API calls per cycle", "calls", func(r scale.Result) float64 { return r.SlackCallsPerCyc }, 35},
}

var (
	ink     = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grid    = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	target  = color.RGBA{0xc0, 0x20, 0x20, 0xff}
	palette = map[string]color.RGBA{"bolt": {0x3b, 0x6e, 0xa8, 0xff}, "redis": {0xe0, 0x8a, 0x2c, 0xff}}
)

// writeCharts writes one PNG per figure into dir and returns their paths.
func writeCharts(dir string, rs []scale.Result) ([]string, error) {
	var paths []string
	for _, f := range figures {
		p := filepath.Join(dir, f.file)
		if err := writePNG(p, chartImage(f, rs)); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writePNG(path string, img image.Image) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// chartImage draws f as grouped bars: sizes along x in the order run, one
// bar per backend, the value printed above each bar.
func chartImage(f figure, rs []scale.Result) image.Image {
	const w, h, left, right, top, bottom = 640, 360, 60, 20, 40, 50
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	var sizes, backends []string
	vals := map[[2]string]float64{}
	high := f.limit
	for _, r := range rs {
		if !contains(sizes, r.Size) {
			sizes = append(sizes, r.Size)
		}
		if !contains(backends, r.Backend) {
			backends = append(backends, r.Backend)
		}
		v := f.value(r)
		vals[[2]string{r.Size, r.Backend}] = v
		high = max(high, v)
	}
	if high <= 0 {
		high = 1
	}
	high *= 1.15
	plotH := float64(h - top - bottom)
	y := func(v float64) int { return h - bottom - int(v/high*plotH) }

	text(img, left, 20, ink, fmt.Sprintf("%s (%s)", f.title, f.unit))
	for i := 0; i <= 4; i++ {
		v := high * float64(i) / 4
		hline(img, left, w-right, y(v), grid)
		text(img, 4, y(v)+4, ink, short(v))
	}
	if f.limit > 0 {
		for x := left; x < w-right; x += 6 {
			hline(img, x, x+3, y(f.limit), target)
		}
		text(img, left+4, y(f.limit)-4, target, "target "+short(f.limit))
	}
	groupW := (w - left - right) / max(len(sizes), 1)
	barW := (groupW - 20) / max(len(backends), 1)
	for i, s := range sizes {
		x0 := left + i*groupW + 10
		for j, b := range backends {
			v, ok := vals[[2]string{s, b}]
			if !ok {
				continue
			}
			x := x0 + j*barW
			draw.Draw(img, image.Rect(x+2, y(v), x+barW-2, h-bottom), image.NewUniform(palette[b]), image.Point{}, draw.Src)
			text(img, x+2, y(v)-4, ink, short(v))
		}
		label := s + " hosts"
		if t, n, ok := strings.Cut(s, "x"); ok {
			label = t + " tenants x " + n
		}
		text(img, x0, h-bottom+16, ink, label)
	}
	hline(img, left, w-right, h-bottom, ink)
	for j, b := range backends {
		x := left + j*110
		draw.Draw(img, image.Rect(x, h-18, x+12, h-6), image.NewUniform(palette[b]), image.Point{}, draw.Src)
		text(img, x+16, h-7, ink, b)
	}
	return img
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func short(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x < x1; x++ {
		img.Set(x, y, c)
	}
}

func text(img *image.RGBA, x, y int, c color.Color, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
