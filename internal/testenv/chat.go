package testenv

import (
	"context"
	"strings"
	"sync"
	"testing"

	"windowbot/bot"
)

// Send gives h the message in from the Telegram chat chat and returns the replies, failing the
// test on an error, on no reply, or on a reply without text.
func Send(t testing.TB, h bot.Handler, chat string, in bot.Inbound) []bot.Reply {
	t.Helper()
	in.Platform, in.ChatID = bot.Telegram, chat
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatalf("handle %+v: %v", in, err)
	}
	if len(out) == 0 {
		t.Fatalf("handle %+v: no reply", in)
	}
	for _, rep := range out {
		if strings.TrimSpace(rep.Text) == "" {
			t.Fatalf("handle %+v: empty reply text", in)
		}
	}
	return out
}

// Handler is a stub bot.Handler for the adapters' tests: it keeps every Inbound it is given and
// answers each with Replies and Err.
type Handler struct {
	Replies []bot.Reply
	Err     error

	mu  sync.Mutex
	got []bot.Inbound
}

// Handle records in and answers with Replies and Err.
func (h *Handler) Handle(_ context.Context, in bot.Inbound) ([]bot.Reply, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, in)
	return h.Replies, h.Err
}

// Inbounds returns what the handler was given so far, in order.
func (h *Handler) Inbounds() []bot.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Inbound(nil), h.got...)
}

// Text joins the texts of rs, one a line.
func Text(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// MustContain fails the test unless the text of rs contains each of want.
func MustContain(t testing.TB, rs []bot.Reply, want ...string) {
	t.Helper()
	all := Text(rs)
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Fatalf("replies %q do not contain %q", all, w)
		}
	}
}

// MustNotContain fails the test if the text of rs contains any of unwanted.
func MustNotContain(t testing.TB, rs []bot.Reply, unwanted ...string) {
	t.Helper()
	all := Text(rs)
	for _, w := range unwanted {
		if strings.Contains(all, w) {
			t.Fatalf("replies %q contain %q", all, w)
		}
	}
}

// HasButton reports whether r offers a button with payload.
func HasButton(r bot.Reply, payload string) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Payload == payload {
				return true
			}
		}
	}
	return false
}
