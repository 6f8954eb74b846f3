package telegram

import (
	"testing"

	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
)

// TestNULThroughTelegramOnPostgres: a complaint whose description holds a NUL byte, a
// bidirectional override and a zero-width space is filed through the whole chain on PostgreSQL,
// which refuses NUL in text: it is submitted, and stored without them.
func TestNULThroughTelegramOnPostgres(t *testing.T) {
	clk := newClock()
	r := newRig(t, openStore(t, testenv.PostgresURL(t)), statetest.Memory(t, clk.Now), clk)
	u := tgUser{ID: 7301, Lang: "zh-hans"}
	cats := oneSend(t, r.step(u.textUpdate("/complain W004")))
	r.press(u, cats.MsgID, "complain:category:efficiency")
	photos := oneSend(t, r.step(u.textUpdate("排队\u0000两个\u202e小时\u200b")))
	who := r.press(u, photos.MsgID, "complain:photos:done")
	confirm := r.press(u, who.MsgID, "complain:identity:anonymous")
	mustContain(t, confirm.Params["text"], "排队两个小时")
	filed := r.press(u, confirm.MsgID, "complain:confirm:submit")
	mustContain(t, filed.Params["text"], "T20261123-0001")
	ts := r.tickets()
	if len(ts) != 1 || ts[0].Description != "排队两个小时" {
		t.Fatalf("tickets = %+v", ts)
	}
}
