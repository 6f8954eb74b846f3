package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"windowbot/bot/web"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestNULThroughWebChatOnPostgres: a visitor's comment and complaint holding NUL bytes (which
// PostgreSQL refuses in text), bidirectional overrides and zero-width spaces are answered, never
// with a server error; the rating is stored and the complaint submitted, both without them.
func TestNULThroughWebChatOnPostgres(t *testing.T) {
	store := testenv.OpenDemoStore(t, testenv.PostgresURL(t))
	st := statetest.Memory(t, nil)
	eng := flows.NewEngine(flows.Options{State: st, Store: store},
		flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	srv, _ := newServer(t, web.Options{Handler: handlers.NewRouter(eng, nil)})
	r := &chatRig{srv: srv, store: store}

	v := r.visit(t, "/?w=W001")
	v.say("/start w_W001")
	v.say("张伟")
	v.press("rate:level:5")
	v.press("rate:praise:done")
	sayJSON(v, "很\u0000热情\u202e耐心\u200b")
	if s := text(v.press("rate:comment:said")); !strings.Contains(s, "很热情耐心") {
		t.Fatalf("thank-you = %q", s)
	}
	rs := testenv.All[models.Rating](t, store)
	if len(rs) != 1 || rs[0].Comment != "很热情耐心" {
		t.Fatalf("ratings = %+v", rs)
	}

	v.say("/complain W004")
	v.press("complain:category:efficiency")
	sayJSON(v, "排队\u0000两个\u2066小时\u2060")
	v.press("complain:desc:said")
	v.press("complain:photos:done")
	if s := text(v.press("complain:identity:anonymous")); !strings.Contains(s, "排队两个小时") {
		t.Fatalf("confirmation = %q", s)
	}
	if s := text(v.press("complain:confirm:submit")); !strings.Contains(s, "T2") {
		t.Fatalf("submitted = %q", s)
	}
	ts := testenv.All[models.Ticket](t, store)
	if len(ts) != 1 || ts[0].Description != "排队两个小时" || ts[0].Channel != "web" {
		t.Fatalf("tickets = %+v", ts)
	}
}

// sayJSON types text as the page sends it, encoded by JSON's rules (say's %q writes Go's).
func sayJSON(v *visitor, text string) []wireReply {
	v.t.Helper()
	b, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		v.t.Fatal(err)
	}
	return v.post(string(b))
}
