package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"windowbot/bot"
	"windowbot/bot/web"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// countingState counts every write to the state store: sessions saved or deleted, locks taken,
// ids claimed, values set, counters increased.
type countingState struct {
	flows.State
	writes atomic.Int64
}

func (c *countingState) Save(ctx context.Context, key string, expect int64, data []byte, ttl time.Duration) error {
	c.writes.Add(1)
	return c.State.Save(ctx, key, expect, data, ttl)
}

func (c *countingState) Delete(ctx context.Context, key string) error {
	c.writes.Add(1)
	return c.State.Delete(ctx, key)
}

func (c *countingState) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	c.writes.Add(1)
	return c.State.Lock(ctx, key, ttl)
}

func (c *countingState) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	c.writes.Add(1)
	return c.State.Claim(ctx, key, ttl)
}

func (c *countingState) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	c.writes.Add(1)
	return c.State.Set(ctx, key, value, ttl)
}

func (c *countingState) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	c.writes.Add(1)
	return c.State.Incr(ctx, key, ttl)
}

// recordingHandler passes every message on and keeps it.
type recordingHandler struct {
	next bot.Handler
	mu   sync.Mutex
	got  []bot.Inbound
}

func (h *recordingHandler) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	h.mu.Lock()
	h.got = append(h.got, in)
	h.mu.Unlock()
	return h.next.Handle(ctx, in)
}

func (h *recordingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

func (h *recordingHandler) last() bot.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[len(h.got)-1]
}

const fuzzBoundary = "wbfuzzboundary"

// multipartBody is a photo upload as the page sends it, with a caption.
func multipartBody(caption string, photo []byte) []byte {
	var b bytes.Buffer
	b.WriteString("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n" + caption + "\r\n")
	b.WriteString("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n")
	b.Write(photo)
	b.WriteString("\r\n--" + fuzzBoundary + "--\r\n")
	return b.Bytes()
}

// FuzzMessage posts any body to POST /chat/api/message of the web chat in front of the real
// router, dialogs, SQLite database and in-process state: as JSON (kind 0), as a multipart photo
// upload (1), as JSON from another site (2) or as text/plain (3); kind/4 says where the visitor
// is first — nowhere (0), asked to rate window W001 (1), asked for a complaint's category (2).
// It holds that:
//   - the answer is 200, or a 4xx with a JSON error code and a sentence, never 5xx: no input
//     makes a dialog fail;
//   - a refused request (4xx) reaches no dialog, writes no row (SQLite's data_version is
//     unchanged) and touches no state (no session saved, lock taken, id claimed);
//   - a request from another site and one that is neither JSON nor multipart is refused;
//   - what reaches the dialogs is clean (bot.CleanInbound) and is exactly one of typed text, a
//     pressed button with a message id, or a photo (with its caption) of an image type no larger
//     than models.MaxPhotoBytes; a /start deep link names a valid window code or staff number;
//   - an accepted request answers JSON replies, each with text, each button with a payload.
func FuzzMessage(f *testing.F) {
	for _, seed := range []struct {
		kind byte
		body string
	}{
		{0, `{"text":"非常满意"}`},
		{0, `{"text":"/start w_W001"}`},
		{0, `{"text":"/start s_S001"}`},
		{0, `{"text":"/start w_../../etc"}`},
		{4, `{"payload":"rate:level:2","message_id":"mAbc123"}`},
		{4, `{"payload":"rate:level:9","message_id":"mAbc123"}`},
		{8, `{"payload":"complain:category:efficiency","message_id":"m1"}`},
		{8, `{"text":"排队\u0000两个\u202e小时，电话 138 1234 5678"}`},
		{0, `{"text":"","payload":"","message_id":""}`},
		{0, `{"text":"a"}{"text":"b"}`},
		{0, `{"text":"\u200b\u2062"}`},
		{1, string(multipartBody("窗口无人", pngBytes))},
		{9, string(multipartBody("叫号机坏了", pngBytes))},
		{1, string(multipartBody("", []byte("<html>not an image</html>")))},
		{2, `{"text":"hi"}`},
		{3, `{"text":"hi"}`},
	} {
		f.Add(seed.kind, []byte(seed.body))
	}

	r := newWebRig(f)
	f.Fuzz(r.check)
}

// FuzzDialog holds FuzzMessage's invariants for well-formed messages: any typed text, or any
// button payload with a valid message id, at each place of the dialogs FuzzMessage starts from —
// the fields a person or a crafted page fills in, which a fuzzer rarely reaches through raw JSON.
func FuzzDialog(f *testing.F) {
	for _, seed := range []struct {
		where         byte
		text, payload string
	}{
		{0, "/rate", ""}, {0, "投诉", ""}, {0, "/track T20261123-0001", ""}, {0, "/start w_w001", ""},
		{1, "", "rate:level:1"}, {1, "", "rate:staff:skip"}, {1, "5", ""}, {1, "", "rate:level:-1"},
		{2, "", "complain:category:efficiency"}, {2, "", "complain:category:"}, {2, "排队\u202e两个小时", ""},
		{2, "", "cmd:/track T1"}, {0, "", "complain:confirm:submit"},
	} {
		f.Add(seed.where, seed.text, seed.payload)
	}
	r := newWebRig(f)
	f.Fuzz(func(t *testing.T, where byte, text, payload string) {
		req := map[string]string{"text": text}
		if payload != "" {
			req = map[string]string{"payload": payload, "message_id": "mAbc123"}
		}
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		r.check(t, where%3*4, body)
	})
}

// webRig is the web chat in front of the real router, dialogs, SQLite database and in-process
// state, with a connection of the test's own to the database.
type webRig struct {
	st  *countingState
	rec *recordingHandler
	mux *http.ServeMux
	own *gorm.DB
}

func newWebRig(f *testing.F) *webRig {
	url := testenv.SQLiteURL(f)
	clk := testenv.NewClock(testenv.Monday10)
	store := testenv.OpenDemoStore(f, url)
	st := &countingState{State: statetest.Memory(f, clk.Now)}
	eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute},
		flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	rec := &recordingHandler{next: handlers.NewRouter(eng, nil)}
	chat := web.New(web.Options{Handler: rec})
	mux := http.NewServeMux()
	chat.Routes(mux)
	own := testenv.OpenDB(f, url)
	sqlDB, err := own.DB()
	if err != nil {
		f.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1) // data_version is per connection
	return &webRig{st: st, rec: rec, mux: mux, own: own}
}

// dataVersion is SQLite's count of the commits other connections made.
func (r *webRig) dataVersion(t *testing.T) int64 {
	var v int64
	if err := r.own.Raw("PRAGMA data_version").Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

// check posts body as kind says and checks the invariants of FuzzMessage.
func (r *webRig) check(t *testing.T, kind byte, body []byte) {
	var cookie *http.Cookie
	post := func(ctype string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/chat/api/message", bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		r.mux.ServeHTTP(w, req)
		for _, c := range w.Result().Cookies() {
			if c.Name == web.CookieName {
				cookie = c
			}
		}
		return w
	}
	switch kind / 4 % 3 {
	case 1:
		if w := post("application/json", []byte(`{"text":"/start w_W001"}`), nil); w.Code != http.StatusOK {
			t.Fatalf("start rating: %d %s", w.Code, w.Body)
		}
	case 2:
		if w := post("application/json", []byte(`{"text":"/complain W004"}`), nil); w.Code != http.StatusOK {
			t.Fatalf("start complaint: %d %s", w.Code, w.Body)
		}
	}
	calls, writes, version := r.rec.count(), r.st.writes.Load(), r.dataVersion(t)

	var w *httptest.ResponseRecorder
	switch kind % 4 {
	case 0:
		w = post("application/json", body, nil)
	case 1:
		w = post("multipart/form-data; boundary="+fuzzBoundary, body, nil)
	case 2:
		w = post("application/json", body, map[string]string{"Sec-Fetch-Site": "cross-site"})
	case 3:
		w = post("text/plain", body, nil)
	}
	switch {
	case kind%4 == 2 && w.Code != http.StatusForbidden, kind%4 == 3 && w.Code != http.StatusUnsupportedMediaType:
		t.Fatalf("kind %d: status %d", kind%4, w.Code)
	case w.Code >= 500:
		t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
	}
	if w.Code != http.StatusOK {
		var e struct{ Error, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
			t.Fatalf("status %d: error body %q", w.Code, w.Body)
		}
		if r.rec.count() != calls || r.st.writes.Load() != writes || r.dataVersion(t) != version {
			t.Fatalf("refused request (%d %s) reached a dialog (%d), wrote state (%d) or rows (data_version %d → %d)",
				w.Code, e.Error, r.rec.count()-calls, r.st.writes.Load()-writes, version, r.dataVersion(t))
		}
		return
	}
	if r.rec.count() != calls+1 {
		t.Fatalf("accepted request reached the dialogs %d times", r.rec.count()-calls)
	}
	checkWebInbound(t, r.rec.last())
	var out struct {
		Replies []struct {
			Text    string
			Buttons [][]bot.Button
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Replies) == 0 {
		t.Fatalf("answer %q: %v", w.Body, err)
	}
	for _, r := range out.Replies {
		if strings.TrimSpace(r.Text) == "" {
			t.Fatalf("empty reply in %s", w.Body)
		}
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Payload == "" || b.Label == "" {
					t.Fatalf("button %+v in %s", b, w.Body)
				}
			}
		}
	}
}

// checkWebInbound fails unless in is exactly one kind of message and clean.
func checkWebInbound(t *testing.T, in bot.Inbound) {
	t.Helper()
	if in.Platform != bot.Web || in.ChatID == "" || in.ChatID != in.UserID {
		t.Fatalf("addressing of %+v", in)
	}
	switch {
	case in.Photo != nil:
		if in.Payload != "" || in.Photo.Size > models.MaxPhotoBytes || int64(len(in.Photo.Data)) != in.Photo.Size ||
			!strings.HasPrefix(in.Photo.MIMEType, "image/") {
			t.Fatalf("photo %+v with payload %q", in.Photo, in.Payload)
		}
	case in.Payload != "":
		if in.Text != "" || in.MessageID == "" {
			t.Fatalf("button %+v", in)
		}
	case in.Text == "":
		t.Fatalf("empty message reached the dialogs: %+v", in)
	}
	if arg, ok := strings.CutPrefix(in.Text, "/start "); ok {
		arg = strings.TrimSpace(arg)
		if code, ok := strings.CutPrefix(arg, "w_"); ok && !web.ValidWindowCode(code) {
			t.Fatalf("deep link to window %q", code)
		}
		if no, ok := strings.CutPrefix(arg, "s_"); ok && !web.ValidStaffNo(no) {
			t.Fatalf("deep link to staff %q", no)
		}
	}
	for _, s := range []string{in.Text, in.Payload} {
		if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
			t.Fatalf("not clean: %q", s)
		}
		if why := testenv.Unclean(s); why != "" {
			t.Fatalf("%q: %s", s, why)
		}
	}
}
