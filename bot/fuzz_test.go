package bot_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/testenv"
)

// FuzzCleanInbound: what every adapter does to a message before anything reads it. The text,
// payload and user name of bot.CleanInbound's result are valid UTF-8 without NUL, other control
// characters (but "\n" and "\t"), bidirectional controls or other invisible (format) characters,
// and trimmed; a text that is all code once folded (Ｗ００１, １３８…) is folded, any other keeps its
// full-width punctuation; cleaning twice is cleaning once; bot.Clean is models.CleanText trimmed.
func FuzzCleanInbound(f *testing.F) {
	for _, s := range [][3]string{
		{"非常满意", "", "张三"},
		{"  Ｗ００１ ", "", ""},
		{"１３８１２３４５６７８", "", ""},
		{"/start w_W005", "", "Ann Lee"},
		{"", "rate:level:5", "王\u202e五"},
		{"排队\x00两个\u202e小时\u200b，态度差！", "", "\x00"},
		{"", "complain:category:efficiency\u2062", ""},
		{"\r\n第一行\r\n第二行\t\r\n", "", ""},
		{"ab\xff\xfecd", "x\xff", "\xc3"},
		{"５", "", ""},
		{"\u3000５\u3000", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, text, payload, name string) {
		in := bot.Inbound{Platform: bot.Web, ChatID: "c", Text: text, Payload: payload, UserName: name}
		out := bot.CleanInbound(in)
		for field, s := range map[string]string{"Text": out.Text, "Payload": out.Payload, "UserName": out.UserName} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s %q: not UTF-8", field, s)
			}
			if s != strings.TrimSpace(s) {
				t.Fatalf("%s %q: not trimmed", field, s)
			}
			if why := testenv.Unclean(s); why != "" {
				t.Fatalf("%s %q: %s", field, s, why)
			}
		}
		if clean := bot.Clean(text); out.Text != clean && out.Text != bot.Fold(clean) {
			t.Fatalf("Text %q is neither Clean(%q) = %q nor its folding", out.Text, text, clean)
		}
		if folded := bot.Fold(out.Text); folded != out.Text && isASCII(folded) {
			t.Fatalf("Text %q is all code once folded (%q) but was not folded", out.Text, folded)
		}
		if out.Text != bot.Clean(text) && !isASCII(out.Text) {
			t.Fatalf("Text %q was folded but is not all code", out.Text)
		}
		if again := bot.CleanInbound(out); again != out {
			t.Fatalf("CleanInbound is not idempotent: %+v → %+v", out, again)
		}
		if out.Platform != in.Platform || out.ChatID != in.ChatID {
			t.Fatalf("CleanInbound changed the addressing: %+v", out)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
