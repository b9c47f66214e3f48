package sandbox

import (
	"encoding/json"
	"html"
	"strings"
)

// render.go turns Block Kit into the page's HTML. Rendering happens here,
// not in the browser, so Go tests can check it and the page's script stays
// small; every piece of text is escaped on the way.

// buttonScope is what a rendered button must carry for the page to send
// the click back: which message it sits in and whether that is ephemeral.
type buttonScope struct {
	channel   string
	ts        string
	ephemeral bool
}

type textObject struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji"`
}

type blockJSON struct {
	Type      string            `json:"type"`
	BlockID   string            `json:"block_id"`
	Text      *textObject       `json:"text"`
	Fields    []textObject      `json:"fields"`
	Elements  []json.RawMessage `json:"elements"`
	Accessory json.RawMessage   `json:"accessory"`
	AltText   string            `json:"alt_text"`
}

type elementJSON struct {
	Type     string          `json:"type"`
	Text     json.RawMessage `json:"text"` // a string in context elements, an object in buttons
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	Style    string          `json:"style"`
	URL      string          `json:"url"`
	AltText  string          `json:"alt_text"`
	Confirm  *struct {
		Title *textObject `json:"title"`
		Text  *textObject `json:"text"`
	} `json:"confirm"`
}

// renderBody renders a message's blocks, or its text when it has none.
func renderBody(text string, blocks json.RawMessage, scope buttonScope, dir directory) string {
	var bs []blockJSON
	if len(blocks) == 0 || json.Unmarshal(blocks, &bs) != nil || len(bs) == 0 {
		return `<div class="b-section"><div class="b-text">` + mrkdwnHTML(text, dir) + `</div></div>`
	}
	var sb strings.Builder
	for _, b := range bs {
		renderBlock(&sb, b, scope, dir)
	}
	return sb.String()
}

func renderBlock(sb *strings.Builder, b blockJSON, scope buttonScope, dir directory) {
	id := ` data-block-id="` + html.EscapeString(b.BlockID) + `"`
	switch b.Type {
	case "header":
		sb.WriteString(`<div class="b-header"` + id + `>` + renderText(b.Text, dir) + `</div>`)
	case "section":
		sb.WriteString(`<div class="b-section"` + id + `>`)
		if b.Text != nil {
			sb.WriteString(`<div class="b-text">` + renderText(b.Text, dir) + `</div>`)
		}
		if len(b.Fields) > 0 {
			sb.WriteString(`<div class="b-fields">`)
			for i := range b.Fields {
				sb.WriteString(`<div class="b-field">` + renderText(&b.Fields[i], dir) + `</div>`)
			}
			sb.WriteString(`</div>`)
		}
		if len(b.Accessory) > 0 {
			sb.WriteString(`<div class="b-accessory">` + renderElement(b.Accessory, b.BlockID, scope, dir) + `</div>`)
		}
		sb.WriteString(`</div>`)
	case "context":
		sb.WriteString(`<div class="b-context"` + id + `>`)
		for _, e := range b.Elements {
			sb.WriteString(`<span class="b-context-el">` + renderContextElement(e, dir) + `</span>`)
		}
		sb.WriteString(`</div>`)
	case "divider":
		sb.WriteString(`<hr class="b-divider"` + id + `>`)
	case "actions":
		sb.WriteString(`<div class="b-actions"` + id + `>`)
		for _, e := range b.Elements {
			sb.WriteString(renderElement(e, b.BlockID, scope, dir))
		}
		sb.WriteString(`</div>`)
	case "image":
		sb.WriteString(`<div class="b-image"` + id + `>[image: ` + html.EscapeString(b.AltText) + `]</div>`)
	default:
		sb.WriteString(`<div class="b-unsupported"` + id + `>[` + html.EscapeString(b.Type) + ` block]</div>`)
	}
}

func renderText(t *textObject, dir directory) string {
	if t == nil {
		return ""
	}
	if t.Type == "mrkdwn" {
		return mrkdwnHTML(t.Text, dir)
	}
	out := plainHTML(t.Text)
	if t.Emoji == nil || *t.Emoji {
		out = emojiHTML(out)
	}
	return out
}

func renderContextElement(raw json.RawMessage, dir directory) string {
	var el elementJSON
	if json.Unmarshal(raw, &el) != nil {
		return ""
	}
	switch el.Type {
	case "mrkdwn", "plain_text":
		var t textObject
		_ = json.Unmarshal(raw, &t)
		return renderText(&t, dir)
	case "image":
		return `[` + html.EscapeString(el.AltText) + `]`
	}
	return `[` + html.EscapeString(el.Type) + `]`
}

// renderElement renders a button with everything a click needs in data-*
// attributes (and stable ones for browser tests); other interactive
// elements are shown as unsupported.
func renderElement(raw json.RawMessage, blockID string, scope buttonScope, dir directory) string {
	var el elementJSON
	if json.Unmarshal(raw, &el) != nil {
		return ""
	}
	if el.Type != "button" {
		return `<span class="b-unsupported">[` + html.EscapeString(el.Type) + `]</span>`
	}
	var label textObject
	_ = json.Unmarshal(el.Text, &label)
	class := "btn"
	if el.Style == "primary" || el.Style == "danger" {
		class += " btn-" + el.Style
	}
	attr := func(name, v string) string { return ` ` + name + `="` + html.EscapeString(v) + `"` }
	out := `<button type="button"` + attr("class", class) + attr("data-action-id", el.ActionID) +
		attr("data-block-id", blockID) + attr("data-value", el.Value) + attr("data-ts", scope.ts) +
		attr("data-channel", scope.channel)
	if scope.ephemeral {
		out += attr("data-ephemeral", "true")
	}
	if el.Confirm != nil {
		var parts []string
		for _, t := range []*textObject{el.Confirm.Title, el.Confirm.Text} {
			if t != nil {
				parts = append(parts, t.Text)
			}
		}
		out += attr("data-confirm", strings.Join(parts, "\n\n"))
	}
	if el.URL != "" {
		out += attr("data-url", el.URL)
	}
	return out + `>` + renderText(&label, dir) + `</button>`
}
