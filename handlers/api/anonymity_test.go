package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestAPIAnonymousFilingUnlinkable: one account files an anonymous complaint and, a day later, a
// real-name one about the same window and category, and acts on the first (a citizen's appeal
// of its rejection). No field the admin API shows of the first — the ticket and its events as
// JSON, the tickets export and the ticket's events export in Chinese and for scripts, the
// statistics — equals a field of the second that filings by other people do not show as well.
func TestAPIAnonymousFilingUnlinkable(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		w, _ := r.store.WindowByCode(ctx, "W001")
		type filing struct {
			tk      *models.Ticket
			citizen uint
			json    []byte
			rows    map[string][][]string // by export
		}
		file := func(chat, desc, phone string, anonymous bool, after time.Duration) *filing {
			r.clock.Add(after)
			c := r.citizen(chat)
			tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude",
				Description: desc, Channel: "telegram", Anonymous: anonymous, Phone: phone, CallbackConsent: phone != "", At: r.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			// Rejected, and appealed by whoever filed it: an event the citizen acted in.
			r.move(tk.No, models.Change{Action: models.ActReject, Note: "经核实不属实"},
				models.Change{Action: models.ActAppeal, Note: "我有证据", Actor: models.Actor{Role: models.RoleCitizen, CitizenID: c.ID}})
			return &filing{tk: tk, citizen: c.ID, rows: map[string][][]string{}}
		}
		anon := file("filer", "窗口人员当面嘲讽我的口音", "", true, 0)
		real := file("filer", "窗口让我在门口等了三个小时", "13912340000", false, 28*time.Hour+30*time.Minute)
		others := []*filing{
			file("other", "叫号屏一直不亮", "", true, 26*time.Hour+15*time.Minute),
			file("third", "工作人员说话很冲", "13700002222", false, 16*time.Hour+30*time.Minute),
		}
		if anon.citizen != real.citizen {
			t.Fatal("the two filings are not one account's")
		}
		admin := newAPI(t, r, adminToken)
		all := append([]*filing{anon, real}, others...)
		exports := map[string][][]string{
			"tickets CSV":             admin.csvAs("/api/v1/tickets", ""),
			"tickets CSV for scripts": admin.csvAs("/api/v1/tickets?lang=en", ""),
		}
		for _, f := range all {
			code, _, body := admin.get("/api/v1/tickets/"+f.tk.No, "")
			if code != 200 {
				t.Fatalf("GET ticket %s = %d", f.tk.No, code)
			}
			f.json = []byte(body)
			f.rows["events CSV"] = admin.csvAs("/api/v1/tickets/"+f.tk.No, "")[1:]
			f.rows["events CSV for scripts"] = admin.csvAs("/api/v1/tickets/"+f.tk.No+"?lang=en", "")[1:]
			for name, rows := range exports {
				for _, row := range rows[1:] {
					if row[0] == f.tk.No {
						f.rows[name] = [][]string{row}
					}
				}
			}
		}
		if strings.Contains(string(anon.json), r.refs.Citizen(anon.citizen)) {
			t.Fatalf("the anonymous filing shows the account's pseudonym:\n%s", anon.json)
		}
		if !strings.Contains(string(anon.json), r.refs.Anonymous(anon.tk.ID)) {
			t.Fatalf("the anonymous filing lacks its own pseudonym:\n%s", anon.json)
		}
		allowed := []string{w.Code, w.Name, "DEMO", "示范政务服务中心", "attitude", "服务态度"}
		testenv.Unlinked(t, "the ticket as JSON", testenv.JSONFields(t, anon.json), testenv.JSONFields(t, real.json), allowed,
			testenv.JSONFields(t, others[0].json), testenv.JSONFields(t, others[1].json))
		cells := func(rows [][]string) map[string]bool {
			out := map[string]bool{}
			for _, row := range rows {
				for _, c := range row {
					if c != "" {
						out[c] = true
					}
				}
			}
			return out
		}
		for _, name := range []string{"tickets CSV", "tickets CSV for scripts", "events CSV", "events CSV for scripts"} {
			if len(anon.rows[name]) == 0 || len(real.rows[name]) == 0 {
				t.Fatalf("%s: no rows", name)
			}
			testenv.Unlinked(t, name, cells(anon.rows[name]), cells(real.rows[name]), allowed,
				cells(others[0].rows[name]), cells(others[1].rows[name]))
		}
		// The statistics count tickets and ratings; they name nobody.
		_, _, stats := admin.get("/api/v1/stats?period=year", "")
		for _, f := range all {
			if strings.Contains(stats, r.refs.Of(f.tk)) || strings.Contains(stats, f.tk.No) {
				t.Fatalf("the statistics name a filing: %s", stats)
			}
		}
	})
}
