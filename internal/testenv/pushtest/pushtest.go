// Package pushtest words queued pushes for tests as the push dispatcher words them when it sends
// them. It is apart from testenv because it imports jobs, whose tests import testenv.
package pushtest

import (
	"encoding/json"
	"testing"

	"windowbot/internal/testenv"
	"windowbot/internal/text"
	"windowbot/jobs"
	"windowbot/models"
)

// Worded fills in the Text and Buttons of the pushes whose message is data (models.PushMessage)
// as they would be sent, in Chinese in Shanghai's zone for recipients without a language, and
// returns them.
func Worded(t testing.TB, ps ...models.Push) []models.Push {
	t.Helper()
	for i := range ps {
		if ps[i].Message == nil {
			continue
		}
		msg, err := jobs.Renderer{Lang: text.ZH, Location: testenv.Shanghai}.Reply(&ps[i])
		if err != nil {
			t.Fatal(err)
		}
		ps[i].Text = msg.Text
		if len(msg.Buttons) > 0 {
			b, err := json.Marshal(msg.Buttons)
			if err != nil {
				t.Fatal(err)
			}
			ps[i].Buttons = string(b)
		}
	}
	return ps
}
