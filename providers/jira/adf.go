package jira

// The Jira Cloud REST API v3 takes rich text (an issue's description, a
// comment's body) as Atlassian Document Format: {"type":"doc","version":1,
// "content":[…]} of paragraphs and headings holding text nodes.

func doc(blocks ...[]any) map[string]any {
	var content []any
	for _, b := range blocks {
		content = append(content, b...)
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

func textNode(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

func paragraph(s string) map[string]any {
	if s == "" {
		return map[string]any{"type": "paragraph", "content": []any{}}
	}
	return map[string]any{"type": "paragraph", "content": []any{textNode(s)}}
}

// section is a level-3 heading and its paragraph.
func section(title, body string) []any {
	return []any{
		map[string]any{"type": "heading", "attrs": map[string]any{"level": 3}, "content": []any{textNode(title)}},
		paragraph(body),
	}
}

// linkParagraph is a paragraph holding one link.
func linkParagraph(href string) map[string]any {
	t := textNode(href)
	t["marks"] = []any{map[string]any{"type": "link", "attrs": map[string]any{"href": href}}}
	return map[string]any{"type": "paragraph", "content": []any{t}}
}
