package wechat

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/flows"
)

// hints close a list of choices: WeChat shows no buttons, so the user types the number or the
// label, which the engine matches to the offered choice.
var hints = map[string]string{
	flows.LangZH: "（回复编号或选项文字即可）",
	flows.LangEN: "(Reply with the number or the text of your choice.)",
}

// multiHints close a checklist, where several numbers may be sent at once.
var multiHints = map[string]string{
	flows.LangZH: "（可多选：回复编号，多个编号用空格隔开，如“1 3”；最后一项结束选择）",
	flows.LangEN: "(Choose any: reply with numbers, several separated by spaces, e.g. \"1 3\"; the last one finishes.)",
}

// commandHints show a one-tap action of another platform as the command to send.
var commandHints = map[string]string{
	flows.LangZH: "发送 %s",
	flows.LangEN: "send %s",
}

// render turns replies into one text message. The choices of the last reply that offers any are
// numbered as the engine will match a typed number against them (bot.ChoiceNumbers: their own
// number where they carry one, as the rating levels 5 … 1 do, else their place with rows
// flattened); earlier replies' choices are listed without numbers. Buttons
// that carry a command ("cmd:/rate") are shown as the command to send, unless the conversation
// remembers them (Reply.Pick) and a number will do.
func render(replies []bot.Reply, lang string) string {
	last := -1
	for i, r := range replies {
		if len(r.Buttons) > 0 {
			last = i
		}
	}
	var parts []string
	for i, r := range replies {
		var b strings.Builder
		b.WriteString(strings.TrimSpace(r.Text))
		numbered := false
		var flat []bot.Button
		for _, row := range r.Buttons {
			flat = append(flat, row...)
		}
		nums := bot.ChoiceNumbers(flat)
		for k, btn := range flat {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			if cmd, ok := strings.CutPrefix(btn.Payload, "cmd:"); ok && !(i == last && r.Pick) {
				b.WriteString("• " + btn.Label + "：" + strings.Replace(commandHints[lang], "%s", cmd, 1))
				continue
			}
			if i == last && nums[k] > 0 {
				b.WriteString(strconv.Itoa(nums[k]) + ". " + btn.Label)
				numbered = true
			} else {
				b.WriteString("• " + btn.Label)
			}
		}
		switch {
		case numbered && r.Multi:
			b.WriteString("\n" + multiHints[lang])
		case numbered:
			b.WriteString("\n" + hints[lang])
		}
		if s := b.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// split cuts text into pieces of at most max bytes, at line ends where it can and never inside a
// UTF-8 sequence.
func split(text string, max int) []string {
	var out []string
	for len(text) > max {
		cut := strings.LastIndexByte(text[:max], '\n')
		if cut <= 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		out = append(out, text[:cut])
		text = strings.TrimLeft(text[cut:], "\n")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}
