package wechat

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/text"
)

// render turns replies into one text message. WeChat shows no buttons, so the user types the
// number or the label of a choice, which the engine matches to the offered one; a hint closes the
// list (wechat.hint_choose, or wechat.hint_multi for a checklist, where several numbers may be
// sent at once). The choices of the last reply that offers any are
// numbered as the engine will match a typed number against them (bot.ChoiceNumbers: their line,
// 1 the first, rows flattened — in every list, the rating levels too); earlier replies' choices
// are listed without numbers; an empty line goes before a choice that starts a group
// (bot.Button.Gap). Buttons
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
				if btn.Gap && k > 0 {
					// A new group (the bad levels): an empty line sets it apart; the numbers go on.
					b.WriteByte('\n')
				}
			}
			if cmd, ok := strings.CutPrefix(btn.Payload, "cmd:"); ok && !(i == last && r.Pick) {
				// A one-tap action of another platform is shown as the command to send.
				b.WriteString("• " + btn.Label + "：" + text.T(lang, "wechat.hint_command", "Command", cmd))
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
			b.WriteString("\n" + text.T(lang, "wechat.hint_multi"))
		case numbered:
			b.WriteString("\n" + text.T(lang, "wechat.hint_choose"))
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
