package flows_test

import (
	"bytes"
	"context"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// The photo limits hold at their edges: a photo of exactly the maximum size is taken, declared or
// uploaded; the photo step offers 跳过 until a photo came and 选好了 after; the third photo ends
// the step and moves on to the identity question.
func TestComplainPhotoLimitsAtTheEdge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		web := func(in bot.Inbound) []bot.Reply {
			t.Helper()
			in.Platform, in.ChatID = bot.Web, "visitor-edge"
			out, err := r.driver.Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		web(bot.Inbound{Text: "/complain"})
		web(bot.Inbound{Payload: "complain:window:W002", MessageID: "e1"})
		web(bot.Inbound{Payload: "complain:category:attitude", MessageID: "e2"})
		out := web(bot.Inbound{Text: "窗口人员玩手机，不理人"})
		out = web(bot.Inbound{Payload: "complain:desc:said", MessageID: "e3"})
		if got := buttonLabels(last(out)); len(got) != 1 || got[0] != "跳过" {
			t.Fatalf("photo step before any photo offers %v, want [跳过]", got)
		}

		full := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, models.MaxPhotoBytes-8)...)
		out = web(bot.Inbound{Photo: &bot.Media{Data: full, MIMEType: "image/png", Size: int64(len(full))}})
		testenv.MustContain(t, out, "1/3")
		if got := buttonLabels(last(out)); len(got) != 1 || got[0] != "选好了" {
			t.Fatalf("photo step after a photo offers %v, want [选好了]", got)
		}
		out = web(bot.Inbound{Photo: &bot.Media{Data: full[:1024], MIMEType: "image/png", Size: models.MaxPhotoBytes}})
		testenv.MustContain(t, out, "2/3")
		out = web(bot.Inbound{Photo: &bot.Media{Data: full[:2048], MIMEType: "image/png", Size: 2048}})
		testenv.MustContain(t, out, "匿名")
		if testenv.HasButton(last(out), "complain:photos:done") {
			t.Fatalf("the third photo did not end the photo step: %+v", out)
		}
	})
}
