package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
)

type fakeDir struct{}

func (fakeDir) userName(id string) string    { return map[string]string{"U1": "sam.sre"}[id] }
func (fakeDir) channelName(id string) string { return "patch-cycles" }
func (fakeDir) groupHandle(id string) string { return "sre" }

func TestMrkdwnHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"*bold* and _it_ and ~gone~", "<b>bold</b> and <i>it</i> and <s>gone</s>"},
		{"*a* *b*", "<b>a</b> <b>b</b>"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"`*not bold*` here", "<code>*not bold*</code> here"},
		{"approved by <@U1>", `approved by <span class="mention">@sam.sre</span>`},
		{"<@U1|sam>", `<span class="mention">@sam</span>`},
		{"<!subteam^S0SRE> <!here>", `<span class="mention">@sre</span> <span class="mention">@here</span>`},
		{"see <#C1>", `see <span class="mention">#patch-cycles</span>`},
		{"<https://example.com/a?b=1&amp;c=2|the runbook>", `<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the runbook</a>`},
		{"<javascript:alert(1)|click>", "click"},
		{"a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"},
		{"<img src=x onerror=alert(1)>", "img src=x onerror=alert(1)"},
		{"line1\nline2", "line1<br>line2"},
		{"&gt; quoted", "<blockquote>quoted</blockquote>"},
		{":white_check_mark: done :unknown_emoji:", "✅ done :unknown_emoji:"},
		{"```\nhost-1\nhost-2```", "<pre>host-1\nhost-2</pre>"},
		{"*Approved by <@U1> (1/2)*", `<b>Approved by <span class="mention">@sam.sre</span> (1/2)</b>`},
	}
	for _, tc := range tests {
		if got := mrkdwnHTML(tc.in, fakeDir{}); got != tc.want {
			t.Errorf("mrkdwnHTML(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestRenderBodyEscapesPlainTextAndButtons(t *testing.T) {
	blocks := `[{"type":"header","block_id":"h","text":{"type":"plain_text","text":"<b>x</b> :rocket:"}},
	 {"type":"actions","block_id":"a\"b","elements":[{"type":"button","action_id":"approve","value":"v\"><script>","text":{"type":"plain_text","text":"Go"},"confirm":{"title":{"type":"plain_text","text":"Sure?"},"text":{"type":"plain_text","text":"Production"}}},
	  {"type":"static_select","action_id":"pick"}]},
	 {"type":"rich_text","block_id":"r"}]`
	got := renderBody("", json.RawMessage(blocks), buttonScope{channel: "C1", ts: "1700000000.000100", ephemeral: true}, fakeDir{})
	for _, want := range []string{
		`&lt;b&gt;x&lt;/b&gt; 🚀`,
		`data-block-id="a&#34;b"`,
		`data-value="v&#34;&gt;&lt;script&gt;"`,
		`data-ts="1700000000.000100" data-channel="C1" data-ephemeral="true"`,
		`data-confirm="Sure?` + "\n\n" + `Production"`,
		`[static_select]`, `[rich_text block]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("render lacks %s\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script>") || strings.Contains(got, "<b>x") {
		t.Errorf("unescaped text in %s", got)
	}
}

func TestNormalizeBlocks(t *testing.T) {
	out, e := normalizeBlocks(`[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Go"}}]}]`)
	if e != nil {
		t.Fatal(e)
	}
	var bs []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(out, &bs); err != nil {
		t.Fatal(err)
	}
	if bs[0].BlockID == "" || bs[0].Elements[0].ActionID == "" {
		t.Errorf("Slack fills in missing ids; got %s", out)
	}
	for name, in := range map[string]string{
		"not an array":      `{"type":"divider"}`,
		"unknown type":      `[{"type":"carousel_of_doom"}]`,
		"button text > 75":  `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"` + strings.Repeat("x", 76) + `"}}]}]`,
		"mrkdwn header":     `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`,
		"bad style":         `[{"type":"actions","elements":[{"type":"button","style":"green","text":{"type":"plain_text","text":"x"}}]}]`,
		"11 fields":         `[{"type":"section","fields":[` + strings.TrimSuffix(strings.Repeat(`{"type":"mrkdwn","text":"f"},`, 11), ",") + `]}]`,
		"duplicate blockID": `[{"type":"divider","block_id":"d"},{"type":"divider","block_id":"d"}]`,
		"51 blocks":         `[` + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + `]`,
	} {
		if _, e := normalizeBlocks(in); e == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
