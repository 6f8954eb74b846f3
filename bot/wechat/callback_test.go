package wechat_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows/state"
	"windowbot/models"
)

const (
	testAppID   = "wx1234567890abcdef"
	testSecret  = "s3cret-app-secret"
	testToken   = "tok3n"
	testAccount = "gh_0123456789ab"
	testOpenID  = "oABCD1234efgh5678ijkl9012mnop"
)

// env is one adapter behind an HTTP server, with a fake API, a stub handler and in-memory state.
type env struct {
	a      *wechat.Adapter
	api    *wechattest.API
	state  *state.Memory
	cit    *models.Store
	h      *stubHandler
	srv    *httptest.Server
	client *wechattest.Client
}

func newEnv(t *testing.T, safe bool, mod func(*wechat.Options)) *env {
	t.Helper()
	e := &env{
		api:   wechattest.NewAPI(t, testAppID, testSecret),
		state: state.NewMemory(nil),
		cit:   citizenStore(t),
		h:     &stubHandler{replies: []bot.Reply{{Text: "hello"}}},
	}
	opts := wechat.Options{
		AppID: testAppID, AppSecret: testSecret, Token: testToken,
		APIURL:      e.api.URL(),
		ReplyBudget: 2 * time.Second,
		Templates:   map[string]string{"ticket_update": "TPL-TICKET"},
		Handler:     e.h, State: e.state, Citizens: e.cit,
	}
	if safe {
		opts.AESKey = sampleAESKey
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := wechat.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	mux := http.NewServeMux()
	a.Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.client = &wechattest.Client{URL: e.srv.URL + "/wechat", Token: testToken, AppID: testAppID, Account: testAccount}
	if safe {
		c, err := wechat.NewCrypto(testAppID, sampleAESKey)
		if err != nil {
			t.Fatal(err)
		}
		e.client.Crypto = c
	}
	return e
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) send(t *testing.T, m wechattest.Message) wechattest.Reply {
	t.Helper()
	rep, err := e.client.Send(ctxT(t), m)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// deliverAtOnce posts m through every client at the same moment, as WeChat does when it retries a
// callback it got no answer to, and returns the answers in the clients' order.
func deliverAtOnce(t *testing.T, m wechattest.Message, clients ...*wechattest.Client) []wechattest.Reply {
	t.Helper()
	var wg sync.WaitGroup
	reps := make([]wechattest.Reply, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := c.Send(context.Background(), m)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	return reps
}

// drain waits, through Close, until every reply the adapter is still working on or sending is
// done, so that a check that nothing more went out looks at the final state rather than at the
// state after some sleep. The adapter takes no more deliveries afterwards: call it last.
func (e *env) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Close(ctx); err != nil {
		t.Fatalf("replies still in flight after 10s: %v", err)
	}
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func modes() []struct {
	name string
	safe bool
} {
	return []struct {
		name string
		safe bool
	}{{"plaintext", false}, {"safe", true}}
}

func signedQuery(token string, ts time.Time, extra ...string) url.Values {
	t := strconv.FormatInt(ts.Unix(), 10)
	q := url.Values{"timestamp": {t}, "nonce": {"n0nce"}, "signature": {wechat.Signature(token, t, "n0nce")}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func TestVerifyHandshake(t *testing.T) {
	e := newEnv(t, false, nil)
	now := time.Now()
	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
	}{
		{"good", signedQuery(testToken, now, "echostr", "12345abc"), 200},
		{"wrong token", signedQuery("other", now, "echostr", "1"), 403},
		{"no signature", url.Values{"timestamp": {strconv.FormatInt(now.Unix(), 10)}, "nonce": {"n"}, "echostr": {"1"}}, 400},
		{"old timestamp", signedQuery(testToken, now.Add(-6*time.Minute), "echostr", "1"), 403},
		{"future timestamp", signedQuery(testToken, now.Add(6*time.Minute), "echostr", "1"), 403},
		{"no echostr", signedQuery(testToken, now), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(e.srv.URL + "/wechat?" + tc.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if tc.status == 200 && string(body) != "12345abc" {
				t.Errorf("body %q, want the echostr", body)
			}
		})
	}
}

// TestRefused checks that every malformed or unauthenticated callback gets a 4xx and changes
// nothing: the handler is not called and no key is written.
func TestRefused(t *testing.T) {
	plainMsg := []byte(`<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[` + testOpenID +
		`]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[5]]></Content><MsgId>77</MsgId></xml>`)
	crypto, err := wechat.NewCrypto(testAppID, sampleAESKey)
	if err != nil {
		t.Fatal(err)
	}
	otherApp, _ := wechat.NewCrypto("wx0000000000000000", sampleAESKey)
	enc, _ := crypto.Encrypt([]byte("0123456789abcdef"), plainMsg)
	encOther, _ := otherApp.Encrypt([]byte("0123456789abcdef"), plainMsg)
	envelope := func(enc string) []byte {
		return []byte(`<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[` + enc + `]]></Encrypt></xml>`)
	}
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	safeQ := func(msgSig string) url.Values {
		return signedQuery(testToken, now, "encrypt_type", "aes", "msg_signature", msgSig)
	}
	good := wechat.Signature(testToken, ts, "n0nce", enc)
	big := append([]byte("<xml><Content>"), bytes.Repeat([]byte("a"), wechat.MaxBody)...)

	for _, tc := range []struct {
		name   string
		safe   bool
		q      url.Values
		body   []byte
		status int
	}{
		{"plain: wrong signature", false, signedQuery("wrong", now), plainMsg, 403},
		{"plain: missing signature", false, url.Values{"timestamp": {ts}, "nonce": {"n"}}, plainMsg, 400},
		{"plain: old timestamp", false, signedQuery(testToken, now.Add(-10*time.Minute)), plainMsg, 403},
		{"plain: future timestamp", false, signedQuery(testToken, now.Add(10*time.Minute)), plainMsg, 403},
		{"plain: bad timestamp", false, url.Values{"timestamp": {"x"}, "nonce": {"n"}, "signature": {wechat.Signature(testToken, "x", "n")}}, plainMsg, 400},
		{"plain: not xml", false, signedQuery(testToken, now), []byte("hello"), 400},
		{"plain: no sender", false, signedQuery(testToken, now), []byte(`<xml><MsgType>text</MsgType><ToUserName>gh</ToUserName></xml>`), 400},
		{"plain: body over 64 KiB", false, signedQuery(testToken, now), big, 413},
		{"plain: encrypted but no key", false, safeQ(good), envelope(enc), 400},
		{"safe: good plain signature, wrong msg_signature", true, safeQ(strings.Repeat("0", 40)), envelope(enc), 403},
		{"safe: missing msg_signature", true, signedQuery(testToken, now, "encrypt_type", "aes"), envelope(enc), 403},
		{"safe: wrong plain signature", true, func() url.Values { q := safeQ(good); q.Set("signature", strings.Repeat("1", 40)); return q }(), envelope(enc), 403},
		{"safe: old timestamp", true, signedQuery(testToken, now.Add(-time.Hour), "encrypt_type", "aes", "msg_signature", good), envelope(enc), 403},
		{"safe: plaintext body", true, signedQuery(testToken, now), plainMsg, 400},
		{"safe: undecryptable", true, safeQ(wechat.Signature(testToken, ts, "n0nce", "AAAA"+enc[4:])), envelope("AAAA" + enc[4:]), 400},
		{"safe: other app id", true, safeQ(wechat.Signature(testToken, ts, "n0nce", encOther)), envelope(encOther), 400},
		{"safe: no Encrypt", true, safeQ(good), plainMsg, 400},
		{"safe: body over 64 KiB", true, safeQ(good), big, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.safe, nil)
			res, err := http.Post(e.srv.URL+"/wechat?"+tc.q.Encode(), "text/xml", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if n := len(e.h.calls()); n != 0 {
				t.Errorf("handler called %d times", n)
			}
			// Nothing was claimed: the same message, properly sent, is handled as new.
			if rep := e.send(t, e.client.Text(testOpenID, "5", 77)); !rep.Passive || len(e.h.calls()) != 1 {
				t.Errorf("the message after the refusal: reply %+v, handler calls %d", rep, len(e.h.calls()))
			}
		})
	}
}

func TestInbound(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, m.safe, nil)
			c := e.client
			ct := time.Now().Unix()
			img := wechattest.PNG()
			e.api.AddMedia("MEDIA-1", img)
			for _, tc := range []struct {
				name    string
				msg     wechattest.Message
				want    *bot.Inbound // nil: the handler is not called
				passive bool
			}{
				{"text", c.Text(testOpenID, "  非常满意 ", 1001), &bot.Inbound{Text: "非常满意"}, true},
				{"image", c.Image(testOpenID, "MEDIA-1", 1002), &bot.Inbound{Photo: &bot.Media{FileID: "MEDIA-1", MIMEType: "image/png", Size: int64(len(img)), Data: img}}, true},
				{"subscribe by window QR", c.Event(testOpenID, "subscribe", "qrscene_w_W001", ct+1), &bot.Inbound{Text: "/start w_W001"}, true},
				{"plain subscribe", c.Event(testOpenID, "subscribe", "", ct+2), &bot.Inbound{Text: "/start"}, true},
				{"subscribe by another QR", c.Event(testOpenID, "subscribe", "qrscene_promo 1", ct+3), &bot.Inbound{Text: "/start"}, true},
				{"scan by a follower", c.Event(testOpenID, "SCAN", "w_W002", ct+4), &bot.Inbound{Text: "/start w_W002"}, true},
				{"scan with a bad code", c.Event(testOpenID, "SCAN", "w_/rate", ct+5), &bot.Inbound{Text: "/start"}, true},
				{"scan of a staff poster", c.Event(testOpenID, "SCAN", "s_DEMO-002", ct+12), &bot.Inbound{Text: "/start s_DEMO-002"}, true},
				{"subscribe by a staff poster", c.Event(testOpenID, "subscribe", "qrscene_s_hr_17", ct+13), &bot.Inbound{Text: "/start s_hr_17"}, true},
				{"staff scene with a bad number", c.Event(testOpenID, "SCAN", "s_王 1", ct+14), &bot.Inbound{Text: "/start"}, true},
				{"menu rate", c.Event(testOpenID, "CLICK", "rate", ct+6), &bot.Inbound{Text: "/rate"}, true},
				{"menu complain", c.Event(testOpenID, "CLICK", "complain", ct+7), &bot.Inbound{Text: "/complain"}, true},
				{"menu track", c.Event(testOpenID, "CLICK", "track", ct+8), &bot.Inbound{Text: "/track"}, true},
				{"menu unknown", c.Event(testOpenID, "CLICK", "other", ct+9), nil, false},
				{"menu link", c.Event(testOpenID, "VIEW", "https://example.org", ct+10), nil, false},
				{"location report", c.Event(testOpenID, "LOCATION", "", ct+11), nil, false},
				// Cleaned at the boundary: no NUL, bidirectional or zero-width characters; a code
				// or a number typed full-width is folded.
				{"nul and bidi", c.Text(testOpenID, "态度\x00冷漠\u202e好\u200b", 1003), &bot.Inbound{Text: "态度冷漠好"}, true},
				{"full-width number", c.Text(testOpenID, "１", 1004), &bot.Inbound{Text: "1"}, true},
				{"full-width phone", c.Text(testOpenID, "１３７\u200b１２３４５６７８", 1005), &bot.Inbound{Text: "13712345678"}, true},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := len(e.h.calls())
					rep := e.send(t, tc.msg)
					if rep.Status != 200 || rep.Passive != tc.passive {
						t.Fatalf("reply %+v, want status 200, passive %t", rep, tc.passive)
					}
					if tc.passive && rep.Text != "hello" {
						t.Errorf("reply text %q", rep.Text)
					}
					if !tc.passive && rep.Text != "success" {
						t.Errorf("reply %q, want success", rep.Text)
					}
					calls := e.h.calls()
					if tc.want == nil {
						if len(calls) != before {
							t.Fatalf("handler called for %s", tc.name)
						}
						return
					}
					if len(calls) != before+1 {
						t.Fatalf("handler calls %d, want %d", len(calls), before+1)
					}
					got := calls[len(calls)-1]
					want := *tc.want
					want.Platform, want.ChatID, want.UserID = bot.WeChat, testOpenID, testOpenID
					if !reflect.DeepEqual(got, want) {
						t.Errorf("inbound\n got %+v\nwant %+v", got, want)
					}
				})
			}
		})
	}
}

func TestSubscribeAndUnsubscribe(t *testing.T) {
	e := newEnv(t, true, nil)
	putCitizen(t, e.cit, testOpenID, time.Now(), false)
	ct := time.Now().Unix()
	rep := e.send(t, e.client.Event(testOpenID, "unsubscribe", "", ct))
	if rep.Text != "success" || len(e.h.calls()) != 0 {
		t.Fatalf("unsubscribe: reply %+v, handler calls %d", rep, len(e.h.calls()))
	}
	if !isInactive(t, e.cit, testOpenID) {
		t.Fatal("unsubscribe did not mark the citizen inactive")
	}
	rep = e.send(t, e.client.Event(testOpenID, "subscribe", "qrscene_w_W001", ct+1))
	if !rep.Passive || isInactive(t, e.cit, testOpenID) {
		t.Fatalf("subscribe: reply %+v, inactive %t", rep, isInactive(t, e.cit, testOpenID))
	}
}

func TestRender(t *testing.T) {
	e := newEnv(t, false, nil)
	e.h.set(func(h *stubHandler) {
		h.replies = []bot.Reply{
			{Text: "note", Buttons: bot.Column(bot.Button{Label: "old", Payload: "x"})},
			{Text: "您对【W001 不动产登记】的服务满意吗？请选择：", Buttons: [][]bot.Button{
				{{Label: "非常满意", Payload: "rate:level:5"}, {Label: "满意", Payload: "rate:level:4"}},
				{{Label: "基本满意", Payload: "rate:level:3"}},
			}},
		}
	})
	// Choices are numbered by their line, 1 the first, rows flattened: the number shown is the
	// number the engine takes (bot.ChoiceNumbers).
	rep := e.send(t, e.client.Text(testOpenID, "/start w_W001", 1))
	want := "note\n• old\n\n您对【W001 不动产登记】的服务满意吗？请选择：\n1. 非常满意\n2. 满意\n3. 基本满意\n（回复编号或选项文字即可）"
	if rep.Text != want {
		t.Errorf("rendered\n%s\nwant\n%s", rep.Text, want)
	}
	e.h.set(func(h *stubHandler) {
		h.replies = []bot.Reply{{Text: "help", Buttons: bot.Column(bot.Button{Label: "评价窗口服务", Payload: "cmd:/rate"})}}
	})
	if rep := e.send(t, e.client.Text(testOpenID, "/help", 2)); rep.Text != "help\n• 评价窗口服务：发送 /rate" {
		t.Errorf("command buttons rendered as %q", rep.Text)
	}
	e.h.set(func(h *stubHandler) {
		h.replies = []bot.Reply{{Text: "pick", Multi: true, Buttons: [][]bot.Button{
			{{Label: "✅ a", Payload: "a"}, {Label: "b", Payload: "b"}}, {{Label: "done", Payload: "d"}},
		}}}
	})
	want = "pick\n1. ✅ a\n2. b\n3. done\n（可多选：回复编号，多个编号用空格隔开，如“1 3”；最后一项结束选择）"
	if rep := e.send(t, e.client.Text(testOpenID, "x", 3)); rep.Text != want {
		t.Errorf("checklist rendered as\n%s\nwant\n%s", rep.Text, want)
	}
}

// TestNeverEmptyText: nothing to say is "success", never an empty text reply.
func TestNeverEmptyText(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, m.safe, nil)
			for i, replies := range [][]bot.Reply{nil, {{Text: ""}}, {{Text: "  "}, {}}} {
				e.h.set(func(h *stubHandler) { h.replies = replies })
				rep := e.send(t, e.client.Text(testOpenID, "x", int64(100+i)))
				if rep.Status != 200 || rep.Passive || rep.Text != "success" {
					t.Errorf("replies %v: got %+v, want plain success", replies, rep)
				}
			}
		})
	}
}

func TestHandlerFailure(t *testing.T) {
	e := newEnv(t, true, nil)
	e.h.set(func(h *stubHandler) { h.err = fmt.Errorf("database down") })
	rep := e.send(t, e.client.Text(testOpenID, "5", 1))
	if !rep.Passive || !strings.Contains(rep.Text, "系统繁忙") {
		t.Errorf("error reply %+v, want the busy apology", rep)
	}
	e.h.set(func(h *stubHandler) { h.err, h.panics = nil, true })
	rep = e.send(t, e.client.Text(testOpenID, "5", 2))
	if !rep.Passive || !strings.Contains(rep.Text, "系统繁忙") {
		t.Errorf("panic reply %+v, want the busy apology", rep)
	}
}

// TestRetries: the same MsgId three times, in a row and at once, reaches the handler once and
// gets the same answer every time.
func TestRetries(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name+"/sequential", func(t *testing.T) {
			e := newEnv(t, m.safe, nil)
			msg := e.client.Text(testOpenID, "5", 4242)
			for i := 0; i < 3; i++ {
				if rep := e.send(t, msg); !rep.Passive || rep.Text != "hello" {
					t.Fatalf("delivery %d: %+v", i+1, rep)
				}
			}
			if n := len(e.h.calls()); n != 1 {
				t.Errorf("handler called %d times, want 1", n)
			}
			// A new message of the same user is not a retry.
			e.send(t, e.client.Text(testOpenID, "5", 4243))
			if n := len(e.h.calls()); n != 2 {
				t.Errorf("handler called %d times, want 2", n)
			}
		})
		t.Run(m.name+"/concurrent", func(t *testing.T) {
			e := newEnv(t, m.safe, nil)
			e.h.set(func(h *stubHandler) { h.delay = 200 * time.Millisecond })
			reps := deliverAtOnce(t, e.client.Text(testOpenID, "5", 4244), e.client, e.client, e.client)
			if n := len(e.h.calls()); n != 1 {
				t.Errorf("handler called %d times, want 1", n)
			}
			passive := 0
			for _, rep := range reps {
				if rep.Passive {
					passive++
					if rep.Text != "hello" {
						t.Errorf("reply %q", rep.Text)
					}
				}
			}
			if passive == 0 {
				t.Errorf("no delivery got the answer: %+v", reps)
			}
			e.drain(t)
			if c := e.api.Custom(); len(c) != 0 {
				t.Errorf("answered in time, yet sent through the customer-service API: %+v", c)
			}
		})
		t.Run(m.name+"/event", func(t *testing.T) {
			e := newEnv(t, m.safe, nil)
			ev := e.client.Event(testOpenID, "SCAN", "w_W001", 1700000000)
			for i := 0; i < 3; i++ {
				e.send(t, ev)
			}
			ev.CreateTime++
			e.send(t, ev)
			if n := len(e.h.calls()); n != 2 {
				t.Errorf("handler called %d times for 3 retries and one new scan, want 2", n)
			}
		})
	}
}

// TestImageDownload: the image of an image message reaches the handler downloaded (WeChat keeps
// it three days only); what cannot be had or is too large reaches it as such, and the step says
// so. The access token is refreshed when WeChat rejects it, and a retried message is not
// downloaded again.
func TestImageDownload(t *testing.T) {
	img := wechattest.PNG()
	for _, m := range modes() {
		// Ten megabytes through AES and -race on a busy machine can outlast the default budget;
		// the budget's own behaviour is TestSlowStep's, here only what reaches the handler counts.
		e := newEnv(t, m.safe, func(o *wechat.Options) { o.ReplyBudget = time.Minute })
		e.api.AddMedia("M-PNG", img)
		e.api.AddMedia("M-TEXT", []byte("{\"not\": \"an image\"}"))
		e.api.AddMedia("M-EXACT", append(append([]byte{}, img...), make([]byte, models.MaxPhotoBytes-len(img))...))
		e.api.AddOversizedMedia("M-HUGE", models.MaxPhotoBytes+1, true)
		e.api.AddOversizedMedia("M-HUGE-CHUNKED", 3*models.MaxPhotoBytes, false)
		for i, tc := range []struct {
			name    string
			media   string
			prepare func()
			want    *bot.Media
		}{
			{"image", "M-PNG", nil, &bot.Media{FileID: "M-PNG", MIMEType: "image/png", Size: int64(len(img)), Data: img}},
			{"image after the token expired", "M-PNG", e.api.ExpireToken, &bot.Media{FileID: "M-PNG", MIMEType: "image/png", Size: int64(len(img)), Data: img}},
			{"unknown media id", "M-GONE", nil, &bot.Media{}},
			{"not an image", "M-TEXT", nil, &bot.Media{}},
			{"download refused", "M-PNG", func() { e.api.Fail("/cgi-bin/media/get", "", 45009, 1) }, &bot.Media{}},
			{"over the limit, declared", "M-HUGE", nil, &bot.Media{Size: models.MaxPhotoBytes + 1}},
			{"over the limit, chunked", "M-HUGE-CHUNKED", nil, &bot.Media{Size: models.MaxPhotoBytes + 1}},
		} {
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				if tc.prepare != nil {
					tc.prepare()
				}
				calls, gets := len(e.h.calls()), e.api.MediaGets()
				msg := e.client.Image(testOpenID, tc.media, int64(3000+i))
				if rep := e.send(t, msg); !rep.Passive || rep.Text != "hello" {
					t.Fatalf("reply %+v", rep)
				}
				got := e.h.calls()
				if len(got) != calls+1 {
					t.Fatalf("handler calls %d, want %d", len(got), calls+1)
				}
				if p := got[len(got)-1].Photo; !reflect.DeepEqual(p, tc.want) {
					t.Errorf("photo\n got %+v\nwant %+v", summary(p), summary(tc.want))
				}
				e.send(t, msg) // WeChat's retry
				if n := e.api.MediaGets() - gets; n < 1 || n > 2 {
					t.Errorf("downloads %d", n)
				} else if n == 2 && tc.prepare == nil {
					t.Errorf("downloaded %d times for one message and its retry", n)
				}
			})
		}
		t.Run(m.name+"/exactly the limit", func(t *testing.T) {
			e.send(t, e.client.Image(testOpenID, "M-EXACT", 3999))
			got := e.h.calls()
			if p := got[len(got)-1].Photo; p == nil || p.Size != models.MaxPhotoBytes || len(p.Data) != models.MaxPhotoBytes || p.MIMEType != "image/png" {
				t.Errorf("photo %+v", summary(p))
			}
		})
	}
}

// summary shows a Media without its bytes.
func summary(p *bot.Media) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("{FileID:%q MIMEType:%q Size:%d len(Data):%d}", p.FileID, p.MIMEType, p.Size, len(p.Data))
}

// TestSlowStep: a step over the budget answers "success" once the budget is used, without waiting
// for the step, and the reply arrives through the customer-service API when the step is done;
// retries of it do not send it again.
func TestSlowStep(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			const budget = 150 * time.Millisecond
			e := newEnv(t, m.safe, func(o *wechat.Options) { o.ReplyBudget = budget })
			gate := make(chan struct{})
			e.h.set(func(h *stubHandler) {
				h.gate = gate // the step takes until the test says
				h.replies = []bot.Reply{{Text: "late answer"}}
			})
			start := time.Now()
			msg := e.client.Text(testOpenID, "5", 9001)
			rep := e.send(t, msg)
			if rep.Passive || rep.Text != "success" {
				t.Fatalf("reply %+v, want success", rep)
			}
			if d := time.Since(start); d < budget {
				t.Errorf("gave up after %s, before the %s budget was used", d, budget)
			}
			if c := e.api.Custom(); len(c) != 0 {
				t.Fatalf("sent %+v before the step was done", c)
			}
			close(gate)
			waitFor(t, "customer-service message", func() bool { return len(e.api.Custom()) == 1 })
			if c := e.api.Custom()[0]; c.ToUser != testOpenID || c.Text != "late answer" {
				t.Errorf("sent %+v", c)
			}
			// WeChat retries if "success" got lost: the answer is not sent a second time.
			if rep := e.send(t, msg); rep.Passive {
				t.Errorf("retry after the customer-service message got %+v", rep)
			}
			e.drain(t)
			if n, calls := len(e.api.Custom()), len(e.h.calls()); n != 1 || calls != 1 {
				t.Errorf("customer messages %d, handler calls %d, want 1 and 1", n, calls)
			}
		})
	}
}

// TestRetryWhileWorking: a retry that arrives while the first delivery still works waits; if the
// answer comes within the retry's budget it gets it passively, and nothing goes out twice.
func TestRetryWhileWorking(t *testing.T) {
	// The margins are wide on purpose: the retry may reach the server late on a busy machine, and
	// either case must come out the same however late it is within them.
	for _, tc := range []struct {
		name         string
		budget       time.Duration
		delay        time.Duration
		wantPassive  bool // the retry gets the answer passively
		wantCustomer int
	}{
		{"answer within the retry's budget", 3 * time.Second, 250 * time.Millisecond, true, 0},
		{"answer after every budget", 300 * time.Millisecond, 2 * time.Second, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true, func(o *wechat.Options) { o.ReplyBudget = tc.budget })
			e.h.set(func(h *stubHandler) { h.delay = tc.delay })
			msg := e.client.Text(testOpenID, "5", 777)
			first := make(chan wechattest.Reply, 1)
			go func() {
				rep, err := e.client.Send(context.Background(), msg)
				if err != nil {
					t.Error(err)
				}
				first <- rep
			}()
			// The retry comes while the first delivery is being worked on.
			waitFor(t, "the first delivery to reach the handler", func() bool { return len(e.h.calls()) == 1 })
			retry := e.send(t, msg)
			<-first
			if retry.Passive != tc.wantPassive {
				t.Errorf("retry got %+v, want passive=%t", retry, tc.wantPassive)
			}
			if tc.wantCustomer > 0 {
				waitFor(t, "customer-service message", func() bool { return len(e.api.Custom()) == tc.wantCustomer })
			}
			e.drain(t)
			if n := len(e.api.Custom()); n != tc.wantCustomer {
				t.Errorf("customer-service messages %d, want %d", n, tc.wantCustomer)
			}
			if n := len(e.h.calls()); n != 1 {
				t.Errorf("handler calls %d, want 1", n)
			}
		})
	}
}

func TestLongAnswerGoesOutInParts(t *testing.T) {
	e := newEnv(t, false, nil)
	long := strings.Repeat("一二三四五六七八九十\n", 150) // 4650 bytes
	e.h.set(func(h *stubHandler) { h.replies = []bot.Reply{{Text: long}} })
	if rep := e.send(t, e.client.Text(testOpenID, "x", 5)); rep.Text != "success" {
		t.Fatalf("reply %+v, want success", rep)
	}
	waitFor(t, "customer-service messages", func() bool { return len(e.api.Custom()) == 3 })
	var got strings.Builder
	for _, c := range e.api.Custom() {
		if len(c.Text) > 2000 {
			t.Errorf("part of %d bytes", len(c.Text))
		}
		got.WriteString(c.Text + "\n")
	}
	if got.String() != long {
		t.Error("parts do not add up to the answer")
	}
}

func TestSDKLogQuiet(t *testing.T) {
	// The SDK's root package sets logrus to debug in its init; the adapter turns that down.
	_ = newEnv(t, false, nil)
	if logrus.IsLevelEnabled(logrus.DebugLevel) || logrus.IsLevelEnabled(logrus.InfoLevel) {
		t.Errorf("logrus level %s, want warn or quieter", logrus.GetLevel())
	}
}

// TestCompatibleMode: in compatible mode (兼容模式) the body carries the message both in clear and
// in Encrypt; only the signed, encrypted copy counts and the reply is encrypted.
func TestCompatibleMode(t *testing.T) {
	e := newEnv(t, true, nil)
	inner := e.client.Text(testOpenID, "encrypted 5", 31)
	innerXML, err := xml.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.client.Crypto.Encrypt([]byte("0123456789abcdef"), innerXML)
	if err != nil {
		t.Fatal(err)
	}
	body := `<xml><ToUserName><![CDATA[` + testAccount + `]]></ToUserName><FromUserName><![CDATA[oOTHER]]></FromUserName>` +
		`<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[clear 1]]></Content><MsgId>31</MsgId>` +
		`<Encrypt><![CDATA[` + enc + `]]></Encrypt></xml>`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {"n"}, "signature": {wechat.Signature(testToken, ts, "n")},
		"encrypt_type": {"aes"}, "msg_signature": {wechat.Signature(testToken, ts, "n", enc)}}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/wechat?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passive || rep.Text != "hello" {
		t.Fatalf("reply %+v", rep)
	}
	calls := e.h.calls()
	if len(calls) != 1 || calls[0].Text != "encrypted 5" || calls[0].ChatID != testOpenID {
		t.Fatalf("handler got %+v", calls)
	}
}
