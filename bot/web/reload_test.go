package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/web"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// replica is one windowbot process serving the web chat: its own engine, router and chat, over
// the database and the state store that every replica shares.
type replica struct {
	srv  *httptest.Server
	chat *web.Chat
}

func newReplica(t *testing.T, store *models.Store, st flows.State) *replica {
	t.Helper()
	eng := flows.NewEngine(flows.Options{State: st, Store: store},
		flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	srv, chat := newServer(t, web.Options{Handler: handlers.NewRouter(eng, nil), Inbox: store, History: st})
	return &replica{srv: srv, chat: chat}
}

// historyEntry is one message of GET /chat/api/history.
type historyEntry struct {
	ID      string         `json:"id"`
	From    string         `json:"from"`
	Text    string         `json:"text"`
	Buttons [][]bot.Button `json:"buttons"`
	Photo   bool           `json:"photo"`
	Pressed string         `json:"pressed"`
}

// history is what the page of c gets from r when it opens.
func (r *replica) history(t *testing.T, c *http.Client) []historyEntry {
	t.Helper()
	res, err := c.Get(r.srv.URL + "/chat/api/history")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /chat/api/history: %d", res.StatusCode)
	}
	return decode[struct {
		Messages []historyEntry `json:"messages"`
	}](t, res).Messages
}

// post sends body from c to r's message API.
func (r *replica) post(t *testing.T, c *http.Client, body string) []wireReply {
	t.Helper()
	res := postJSON(t, c, r.srv.URL+"/chat/api/message", body, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", body, res.StatusCode)
	}
	return decode[replies](t, res).Replies
}

// pressOn presses the button with payload on message id.
func (r *replica) pressOn(t *testing.T, c *http.Client, id, payload string) []wireReply {
	t.Helper()
	return r.post(t, c, fmt.Sprintf(`{"payload":%q,"message_id":%q}`, payload, id))
}

// inbox is what the open page of c gets from r's inbox.
func (r *replica) inbox(t *testing.T, c *http.Client) []wireReply {
	t.Helper()
	res, err := c.Get(r.srv.URL + "/chat/api/inbox")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return decode[replies](t, res).Replies
}

func texts(es []historyEntry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s: %s [pressed %q]\n", e.From, e.Text, e.Pressed)
	}
	return b.String()
}

// TestConversationAcrossReloadsAndReplicas: a visitor's page is reloaded, and served by another
// replica, in the middle of a rating: the conversation comes back from the server as it was —
// the buttons pressed shown as used, the question under way with its buttons, which still work
// there — and nothing starts over. A push sent by one replica waits in the database and is
// shown once, by the other. 重新开始 starts over on purpose.
func TestConversationAcrossReloadsAndReplicas(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		store := testenv.OpenDemoStore(t, url)
		st := statetest.Redis(t)
		a, b := newReplica(t, store, st), newReplica(t, store, st)
		c := client(t) // one browser; its cookie goes to both replicas, as behind a load balancer
		get(t, c, a.srv.URL+"/?w=W001")
		if es := a.history(t, c); len(es) != 0 {
			t.Fatalf("a new visitor has a history: %s", texts(es))
		}
		out := a.post(t, c, `{"text":"/start w_W001"}`)
		zhang, err := store.StaffByNo(context.Background(), "DEMO-001")
		if err != nil {
			t.Fatal(err)
		}
		out = a.pressOn(t, c, out[0].ID, fmt.Sprintf("rate:staff:%d", zhang.ID))
		testenv.MustContain(t, []bot.Reply{{Text: text(out)}}, "满意吗")

		// The page is reloaded, and lands on the other replica.
		es := b.history(t, c)
		if len(es) != 3 || es[0].Pressed != "张伟" || es[1].From != "me" || es[1].Text != "张伟" ||
			!strings.Contains(es[2].Text, "满意吗") || len(es[2].Buttons) != 5 {
			t.Fatalf("history after a reload:\n%s", texts(es))
		}
		if strings.Contains(texts(es), "/start") {
			t.Fatalf("the page's /start is in the history:\n%s", texts(es))
		}
		// The question under way answers there: the dialog was not wiped.
		out = b.pressOn(t, c, es[2].ID, "rate:level:2")
		testenv.MustContain(t, []bot.Reply{{Text: text(out)}}, "哪些方面需要改进")
		checklist := out[0].ID
		out = a.pressOn(t, c, checklist, "rate:areas:attitude")
		if len(out) != 1 || !out[0].Edit {
			t.Fatalf("a tick should edit the checklist: %+v", out)
		}
		es = a.history(t, c)
		last := es[len(es)-1]
		if len(es) != 5 || !strings.Contains(fmt.Sprint(last.Buttons), flows.Checked) || last.ID != out[0].ID {
			t.Fatalf("the ticked checklist should replace the old one in the history:\n%s", texts(es))
		}

		// A push sent by replica a is shown once, by replica b, and stays in the history.
		to := bot.Recipient{Platform: bot.Web, ChatID: visitorID(t, c, a.srv.URL)}
		if err := a.chat.Send(context.Background(), to, bot.Reply{Text: "您的工单 T20261123-0001 已受理"}); err != nil {
			t.Fatal(err)
		}
		es = b.history(t, c)
		if got := es[len(es)-1]; got.From != "bot" || got.Text != "您的工单 T20261123-0001 已受理" {
			t.Fatalf("the push is not shown at the end of the history:\n%s", texts(es))
		}
		if got := a.inbox(t, c); len(got) != 0 {
			t.Fatalf("the push was shown twice: %+v", got)
		}
		if n := strings.Count(texts(b.history(t, c)), "已受理"); n != 1 {
			t.Fatalf("the push is %d times in the history", n)
		}

		// 重新开始: the history is cleared and the rating under way ended.
		res := postJSON(t, c, b.srv.URL+"/chat/api/restart", `{}`, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("restart: %d", res.StatusCode)
		}
		welcome := decode[replies](t, res).Replies
		testenv.MustContain(t, []bot.Reply{{Text: text(welcome)}}, "这里是政务服务“好差评”")
		if es := a.history(t, c); len(es) != 1 || es[0].ID != welcome[0].ID {
			t.Fatalf("history after a restart:\n%s", texts(es))
		}
		out = a.pressOn(t, c, checklist, "rate:areas:done")
		testenv.MustContain(t, []bot.Reply{{Text: text(out)}}, "超时")
		if n := len(testenv.All[models.Rating](t, store)); n != 0 {
			t.Fatalf("%d ratings", n)
		}
	})
}

// TestHistoryKeepsWhatWasTypedMasked: the visitor's own words come back after a reload, a phone
// number in them masked; a photo is shown as one.
func TestHistoryKeepsWhatWasTypedMasked(t *testing.T) {
	store := testenv.OpenDemoStore(t, testenv.SQLiteURL(t))
	r := newReplica(t, store, statetest.Memory(t, nil))
	c := client(t)
	out := r.post(t, c, `{"text":"/complain W001"}`)
	r.pressOn(t, c, out[0].ID, "complain:category:efficiency")
	r.post(t, c, `{"text":"等了两个小时，电话13912345678"}`)
	res := postPhoto(t, c, r.srv.URL+"/chat/api/message", pngBytes, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("photo: %d", res.StatusCode)
	}
	es := r.history(t, c)
	all := texts(es)
	if !strings.Contains(all, "等了两个小时，电话139****5678") || strings.Contains(all, "13912345678") {
		t.Fatalf("history:\n%s", all)
	}
	if e := es[len(es)-2]; e.From != "me" || !e.Photo {
		t.Fatalf("the photo is not in the history:\n%s", all)
	}
}

// visitorID reads the visitor cookie c holds for url.
func visitorID(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		if ck.Name == web.CookieName {
			return ck.Value
		}
	}
	t.Fatal("no visitor cookie")
	return ""
}

// TestComplaintWithPhotoAcrossReplicas: a complaint with a photo uploaded on one replica is
// finished after a reload on the other, the photo filed with it.
func TestComplaintWithPhotoAcrossReplicas(t *testing.T) {
	store := testenv.OpenDemoStore(t, testenv.PostgresURL(t))
	st := statetest.Redis(t)
	a, b := newReplica(t, store, st), newReplica(t, store, st)
	c := client(t)
	out := a.post(t, c, `{"text":"/complain W003"}`)
	out = a.pressOn(t, c, out[0].ID, "complain:category:not_done")
	if id := out[len(out)-1].ID; testenv.HasButton(bot.Reply{Buttons: out[len(out)-1].Buttons}, "complain:dup:new") {
		a.pressOn(t, c, id, "complain:dup:new")
	}
	a.post(t, c, `{"text":"户口迁移跑了三趟"}`)
	res := postPhoto(t, c, a.srv.URL+"/chat/api/message", pngBytes, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("photo: %d", res.StatusCode)
	}
	testenv.MustContain(t, []bot.Reply{{Text: text(decode[replies](t, res).Replies)}}, "已收到照片（1/3）")

	es := b.history(t, c)
	last := es[len(es)-1]
	if !es[len(es)-2].Photo || !strings.Contains(last.Text, "已收到照片") {
		t.Fatalf("history on the other replica:\n%s", texts(es))
	}
	out = b.pressOn(t, c, last.ID, "complain:photos:done")
	out = b.pressOn(t, c, out[len(out)-1].ID, "complain:identity:anonymous")
	testenv.MustContain(t, []bot.Reply{{Text: text(out)}}, "照片：1 张")
	out = b.pressOn(t, c, out[len(out)-1].ID, "complain:confirm:submit")
	testenv.MustContain(t, []bot.Reply{{Text: text(out)}}, "工单编号")
	as := testenv.All[models.TicketAttachment](t, store)
	if len(as) != 1 || string(as[0].Data) != string(pngBytes) {
		t.Fatalf("attachments %+v", as)
	}
}
