package sandbox

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// normalizeBlocks checks blocks against the Block Kit limits Slack enforces
// (so a bot that would be refused by Slack is refused here too) and fills
// in the block_id and action_id Slack generates when a client leaves them
// out, so interaction payloads carry them as they would from Slack.
func normalizeBlocks(raw string) (json.RawMessage, *apiError) {
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, errCode("invalid_blocks_format", "blocks must be a JSON array of objects: "+err.Error())
	}
	var v blockValidator
	if len(blocks) > 50 {
		v.failf("/blocks", "must contain no more than 50 items")
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		p := fmt.Sprintf("/blocks/%d", i)
		id, _ := b["block_id"].(string)
		if id == "" {
			id = randomID()
			b["block_id"] = id
		}
		v.maxLen(p+"/block_id", id, 255)
		if blockIDs[id] {
			v.failf(p+"/block_id", "must be unique within the message")
		}
		blockIDs[id] = true
		v.block(p, b)
	}
	if len(v.errs) > 0 {
		return nil, &apiError{code: "invalid_blocks", errors: v.errs}
	}
	out, err := json.Marshal(blocks)
	if err != nil {
		return nil, errCode("invalid_blocks", err.Error())
	}
	return out, nil
}

type blockValidator struct{ errs []string }

// failf words errors the way Slack does: a reason and a JSON pointer.
func (v *blockValidator) failf(pointer, format string, a ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, a...)+" [json-pointer:"+pointer+"]")
}

func (v *blockValidator) maxLen(pointer, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.failf(pointer, "must be less than %d characters", n+1)
	}
}

func (v *blockValidator) block(p string, b map[string]any) {
	typ, _ := b["type"].(string)
	switch typ {
	case "header":
		v.text(p+"/text", b["text"], 150, true)
	case "section":
		_, hasText := b["text"]
		fields, _ := b["fields"].([]any)
		if !hasText && len(fields) == 0 {
			v.failf(p, "must provide text or fields")
		}
		if hasText {
			v.text(p+"/text", b["text"], 3000, false)
		}
		if len(fields) > 10 {
			v.failf(p+"/fields", "must contain no more than 10 items")
		}
		for i, f := range fields {
			v.text(fmt.Sprintf("%s/fields/%d", p, i), f, 2000, false)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			v.element(p+"/accessory", acc, map[string]bool{})
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			v.failf(p+"/elements", "must contain between 1 and 25 items")
		}
		seen := map[string]bool{}
		for i, e := range els {
			if m, ok := e.(map[string]any); ok {
				v.element(fmt.Sprintf("%s/elements/%d", p, i), m, seen)
			}
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			v.failf(p+"/elements", "must contain between 1 and 10 items")
		}
	case "divider", "image", "rich_text", "file", "input", "markdown", "video", "table":
	case "":
		v.failf(p+"/type", "missing required field")
	default:
		v.failf(p+"/type", "unsupported type %q", typ)
	}
}

// text checks a text object: a type of plain_text or mrkdwn and a length.
func (v *blockValidator) text(p string, t any, max int, plainOnly bool) {
	m, ok := t.(map[string]any)
	if !ok {
		v.failf(p, "must be a text object")
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ == "plain_text":
	case plainOnly:
		v.failf(p+"/type", "must be plain_text")
	case typ != "mrkdwn":
		v.failf(p+"/type", "must be plain_text or mrkdwn")
	}
	s, _ := m["text"].(string)
	if s == "" {
		v.failf(p+"/text", "must be more than 0 characters")
	}
	v.maxLen(p+"/text", s, max)
}

func (v *blockValidator) element(p string, e map[string]any, actionIDs map[string]bool) {
	typ, _ := e["type"].(string)
	if typ != "button" {
		return // other elements pass through; the page shows them as unsupported
	}
	id, _ := e["action_id"].(string)
	if id == "" {
		id = randomID()
		e["action_id"] = id
	}
	v.maxLen(p+"/action_id", id, 255)
	if actionIDs[id] {
		v.failf(p+"/action_id", "must be unique within the block")
	}
	actionIDs[id] = true
	v.text(p+"/text", e["text"], 75, true)
	if val, ok := e["value"].(string); ok {
		v.maxLen(p+"/value", val, 2000)
	}
	if u, ok := e["url"].(string); ok {
		v.maxLen(p+"/url", u, 3000)
	}
	if st, ok := e["style"].(string); ok && st != "primary" && st != "danger" {
		v.failf(p+"/style", "must be one of primary, danger")
	}
}
