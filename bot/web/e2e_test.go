package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"windowbot/bot/web"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// chatRig is the web chat in front of the real router, engine and rating flow, on a real
// database and the in-process state store.
type chatRig struct {
	srv   *httptest.Server
	store *models.Store
}

func newChatRig(t *testing.T, url string) *chatRig {
	t.Helper()
	store := testenv.OpenDemoStore(t, url)
	st := statetest.Memory(t, nil)
	eng := flows.NewEngine(flows.Options{State: st, Store: store},
		flows.NewRate(store, testenv.Shanghai, 1))
	srv, _ := newServer(t, web.Options{Handler: handlers.NewRouter(eng, nil)})
	return &chatRig{srv: srv, store: store}
}

// visitor is one browser: its own cookie jar.
type visitor struct {
	t    *testing.T
	rig  *chatRig
	c    *http.Client
	last []wireReply
}

// visit opens path in a new browser.
func (r *chatRig) visit(t *testing.T, path string) *visitor {
	v := &visitor{t: t, rig: r, c: client(t)}
	v.open(path)
	return v
}

// open loads the page at path in this browser.
func (v *visitor) open(path string) {
	v.t.Helper()
	if res, _ := get(v.t, v.c, v.rig.srv.URL+path); res.StatusCode != http.StatusOK {
		v.t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
}

func (v *visitor) post(body string) []wireReply {
	v.t.Helper()
	res := postJSON(v.t, v.c, v.rig.srv.URL+"/chat/api/message", body, nil)
	if res.StatusCode != http.StatusOK {
		v.t.Fatalf("POST %s = %d", body, res.StatusCode)
	}
	v.last = decode[replies](v.t, res).Replies
	if len(v.last) == 0 {
		v.t.Fatalf("POST %s: no replies", body)
	}
	return v.last
}

// say types text, as the page's input does.
func (v *visitor) say(text string) []wireReply { return v.post(fmt.Sprintf(`{"text":%q}`, text)) }

// press presses the button with payload on the latest reply that offers it.
func (v *visitor) press(payload string) []wireReply {
	v.t.Helper()
	for i := len(v.last) - 1; i >= 0; i-- {
		for _, row := range v.last[i].Buttons {
			for _, b := range row {
				if b.Payload == payload {
					return v.post(fmt.Sprintf(`{"payload":%q,"message_id":%q}`, payload, v.last[i].ID))
				}
			}
		}
	}
	v.t.Fatalf("no button %q in %+v", payload, v.last)
	return nil
}

func text(rs []wireReply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// TestWebChatRatingEndToEnd follows a citizen who scanned W001's poster: the page's first
// message, a level button, a checklist ticked in place, a comment, the thank-you, and the
// rating in the database; then the same visitor is refused a second rating today.
func TestWebChatRatingEndToEnd(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testenv.SQLiteURL}, {"postgres", testenv.PostgresURL}} {
		t.Run(db.name, func(t *testing.T) {
			r := newChatRig(t, db.url(t))
			v := r.visit(t, "/?w=W001")
			// What assets/static/app.js sends for ?w=W001.
			out := v.say("/start w_W001")
			if !strings.Contains(text(out), "W001") || !strings.Contains(text(out), "请问为您办理业务的工作人员是？") {
				t.Fatalf("first answer = %q", text(out))
			}
			labels := func(r wireReply) string {
				var ls []string
				for _, row := range r.Buttons {
					for _, b := range row {
						ls = append(ls, b.Label)
					}
				}
				return strings.Join(ls, ",")
			}
			if got := labels(out[len(out)-1]); got != "张伟,李娜,不确定/跳过" {
				t.Fatalf("staff buttons = %s", got)
			}
			out = v.say("张伟") // a name typed instead of pressed
			if got := labels(out[len(out)-1]); got != "★★★★★ 非常满意,★★★★☆ 满意,★★★☆☆ 基本满意,★★☆☆☆ 不满意,★☆☆☆☆ 非常不满意" {
				t.Fatalf("level buttons = %s", got)
			}
			v.press("rate:level:1")
			v.press("rate:areas:attitude")
			v.press("rate:areas:done")
			out = v.press("rate:aspects:attitude.cold")
			if !out[len(out)-1].Edit || !strings.Contains(fmt.Sprint(out[len(out)-1].Buttons), flows.Checked) {
				t.Fatalf("toggle should edit the checklist with a tick: %+v", out)
			}
			v.press("rate:aspects:done")
			v.say("窗口人员态度冷漠")
			out = v.press("rate:comment:said")
			if s := text(out); !strings.Contains(s, "感谢您的评价") || !strings.Contains(s, "工作人员：张伟") || !strings.Contains(s, "非常不满意") || !strings.Contains(s, "窗口人员态度冷漠") {
				t.Fatalf("thank-you = %q", s)
			}

			var rs []models.Rating
			if err := testenv.DB(t, r.store).Find(&rs).Error; err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Level != 1 || rs[0].Aspects != "attitude.cold" || rs[0].Comment != "窗口人员态度冷漠" || rs[0].Channel != "web" || rs[0].StaffID == nil {
				t.Fatalf("ratings = %+v", rs)
			}
			var cit models.Citizen
			if err := testenv.DB(t, r.store).First(&cit, rs[0].CitizenID).Error; err != nil {
				t.Fatal(err)
			}
			u, _ := http.NewRequest(http.MethodGet, r.srv.URL, nil)
			var cookie string
			for _, c := range v.c.Jar.Cookies(u.URL) {
				if c.Name == web.CookieName {
					cookie = c.Value
				}
			}
			if cit.Platform != "web" || cit.ExternalID != cookie {
				t.Fatalf("citizen = %+v, visitor cookie %q", cit, cookie)
			}

			// Rescanning the same poster today: refused with an explanation.
			v.open("/?w=W001")
			if s := text(v.say("/start w_W001")); !strings.Contains(s, "今天已经评价过") {
				t.Fatalf("second rating answer = %q", s)
			}
			// Another citizen's phone is another visitor; they scanned 李娜's own poster.
			other := r.visit(t, "/?s=DEMO-002")
			// What assets/static/app.js sends for ?s=DEMO-002.
			if s := text(other.say("/start s_DEMO-002")); !strings.Contains(s, "W001") || !strings.Contains(s, "工作人员李娜") {
				t.Fatalf("personal link answer = %q", s)
			}
			other.press("rate:level:5")
			other.press("rate:praise:done")
			if s := text(other.press("rate:comment:skip")); !strings.Contains(s, "非常满意") || !strings.Contains(s, "工作人员：李娜") {
				t.Fatalf("other visitor's thank-you = %q", s)
			}
		})
	}
}
