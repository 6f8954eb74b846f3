package flows_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
)

// TestMemoryCapRefusesNewDialogsOnly: with the in-process store at its cap, a new citizen's turn
// is refused (the platforms answer it "busy") and the cap is logged, while the dialogs already under way go on; when old
// dialogs expire, new ones start again.
func TestMemoryCapRefusesNewDialogsOnly(t *testing.T) {
	clk := newClock()
	var log bytes.Buffer
	st := state.NewMemory(clk.Now).Limit(3, slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { st.Close() })
	r := newRig(t, openStore(t, testenv.SQLiteURL(t)), st, clk)

	for _, chat := range []string{"1", "2", "3"} {
		testenv.MustContain(t, r.say(chat, "/start w_W002"), "满意吗")
	}
	if n := st.Len(); n != 3 {
		t.Fatalf("%d entries after three dialogs, want 3", n)
	}
	// The turn fails with ErrFull, which the platforms answer with the catalog's "busy".
	if _, err := r.driver.Handle(context.Background(), bot.Inbound{Platform: bot.Telegram, ChatID: "4", Text: "/start w_W002"}); !errors.Is(err, state.ErrFull) {
		t.Fatalf("a fourth dialog: %v, want ErrFull", err)
	}
	if !strings.Contains(log.String(), "in-process store is full") || !strings.Contains(log.String(), "cap=3") {
		t.Fatalf("the cap was not logged: %q", log.String())
	}
	// A dialog under way takes its next step.
	testenv.MustContain(t, r.press("2", "rate:level:5"), "哪些方面让您满意")
	if n := st.Len(); n != 3 {
		t.Fatalf("%d entries, want still 3", n)
	}

	clk.Add(31 * time.Minute) // past the session ttl: the three dialogs are forgotten
	testenv.MustContain(t, r.say("4", "/start w_W002"), "满意吗")
}
