package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/models"
)

// filing is one complaint and everything staff and supervisors are shown of it.
type filing struct {
	tk                   *models.Ticket
	ref                  string
	staffView, supView   string
	pushes, ban, unban   string
	staffLine, supTicket string
}

// TestAnonymousFilingUnlinkable: one account files an anonymous complaint and, a day later, a
// real-name one about the same window and category. Nothing the window's staff or the supervisor
// are shown of the first — the ticket views, the pushes, the answers to /ban and /unban by its
// pseudonym — holds a field of the second that filings by other people do not show as well: the
// anonymous filing's pseudonym is its own, and nothing joins it to the account's.
func TestAnonymousFilingUnlinkable(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		staff, sup := r.bind("DEMO-001"), r.bind(models.DemoSupervisorNo)
		w, _ := r.store.WindowByCode(ctx, "W001")
		file := func(chat, desc, phone string, anonymous bool, after time.Duration) *filing {
			r.clock.Add(after)
			c := r.citizen(chat)
			tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude",
				Description: desc, Channel: "telegram", Anonymous: anonymous, Phone: phone, CallbackConsent: phone != "", At: r.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return &filing{tk: tk, ref: r.refs.Of(tk)}
		}
		filer := r.chat("filer")
		anon := file(filer, "窗口人员当面嘲讽我的口音", "", true, 0)
		real := file(filer, "窗口让我在门口等了三个小时", "13912340000", false, 28*time.Hour+30*time.Minute)
		others := []*filing{
			file(r.chat("other"), "叫号屏一直不亮", "", true, 26*time.Hour+15*time.Minute),
			file(r.chat("third"), "工作人员说话很冲", "13700002222", false, 16*time.Hour+30*time.Minute),
		}
		all := append([]*filing{anon, real}, others...)

		pushes := pushtest.Worded(t, testenv.All[models.Push](t, r.store)...)
		for _, f := range all {
			f.staffView = testenv.Text(r.say(staff, "/ticket "+f.tk.No))
			f.supView = testenv.Text(r.say(sup, "/ticket "+f.tk.No))
			for _, p := range pushes {
				if strings.Contains(p.Text, f.tk.No) {
					f.pushes += p.Text + "\n"
				}
			}
		}
		// The supervisor sees each filing's own pseudonym, and bans and lifts by it.
		for i, f := range all {
			if !strings.Contains(f.supView, f.ref) {
				t.Fatalf("the supervisor's view of %s lacks its pseudonym %s:\n%s", f.tk.No, f.ref, f.supView)
			}
			reason := []string{"恶意反映甲", "恶意反映乙", "恶意反映丙", "恶意反映丁"}[i]
			f.ban = testenv.Text(r.say(sup, "/ban "+f.ref+" "+reason))
			f.unban = testenv.Text(r.say(sup, "/unban "+f.ref))
			testenv.MustContain(t, []bot.Reply{{Text: f.ban}}, "已停用群众 "+f.ref)
			testenv.MustNotContain(t, []bot.Reply{{Text: f.ban + f.unban}}, "已处于停用状态", "当前没有被停用")
		}
		account := r.refs.Citizen(r.citizen(filer).ID)
		if anon.ref == account || strings.Contains(anon.supView+anon.staffView+anon.pushes+anon.ban, account) {
			t.Fatalf("the anonymous filing shows the account's pseudonym %s", account)
		}
		if strings.Contains(anon.supView, "139") || strings.Contains(real.supView, anon.ref) {
			t.Fatal("the views of the two filings name each other")
		}
		allowed := []string{w.Code, w.Name, w.Place(), "示范政务服务中心", "服务态度"}
		for _, tc := range []struct {
			what string
			get  func(f *filing) string
		}{
			{"the staff's ticket view", func(f *filing) string { return f.staffView }},
			{"the supervisor's ticket view", func(f *filing) string { return f.supView }},
			{"the pushes", func(f *filing) string { return f.pushes }},
			{"the answers to /ban and /unban", func(f *filing) string { return f.ban + "\n" + f.unban }},
		} {
			testenv.Unlinked(t, tc.what, testenv.Fields(tc.get(anon)), testenv.Fields(tc.get(real)), allowed,
				testenv.Fields(tc.get(others[0])), testenv.Fields(tc.get(others[1])))
		}
	})
}
