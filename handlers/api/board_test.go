package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestPublicBoard(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		mux := http.NewServeMux()
		api.NewBoard(r.store, testenv.Shanghai, nil).Routes(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		get := func(path, lang string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Accept-Language", lang)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := get("/notices", "zh-CN"); code != 200 || !strings.Contains(body, "暂无公示内容") {
			t.Fatalf("empty board: %d %s", code, body)
		}
		w, _ := r.store.WindowByCode(ctx, "W002")
		c, _ := r.store.TouchCitizen(ctx, "telegram", "reporter", "", r.clock.Now())
		tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude",
			Description: "secret details <b>", Channel: "telegram", Phone: "13812345678", CallbackConsent: true, At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		open, _ := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "conduct",
			Description: "not published", Channel: "telegram", At: r.clock.Now()})
		admin := models.Actor{Role: models.RoleAdmin}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "窗口人员<script>培训</script>"},
			{Action: models.ActDone, Note: "已完成培训"}, {Action: models.ActPublish}} {
			ch.Actor, ch.At = admin, r.clock.Now()
			if _, _, err := r.store.Transition(ctx, tk.No, ch); err != nil {
				t.Fatal(err)
			}
		}
		code, body := get("/notices", "zh-CN,zh;q=0.9")
		if code != 200 || !strings.Contains(body, tk.No) || !strings.Contains(body, "已完成培训") || !strings.Contains(body, "服务态度") ||
			!strings.Contains(body, "社保医保") || !strings.Contains(body, "2026-11-23") {
			t.Fatalf("board: %d %s", code, body)
		}
		if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
			t.Error("notice text not escaped")
		}
		for _, secret := range []string{"secret details", "13812345678", "reporter", open.No} {
			if strings.Contains(body, secret) {
				t.Errorf("board shows %q", secret)
			}
		}
		code, body = get("/api/v1/public/notices", "en")
		var got struct{ Notices []api.Notice }
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Notices) != 1 || got.Notices[0].Category != "Attitude" || got.Notices[0].Result != "已完成培训" {
			t.Fatalf("json: %d %s", code, body)
		}
		if got.Notices[0].Place != "W002 社保医保" {
			t.Errorf("place = %q", got.Notices[0].Place)
		}
		// A complaint about the center as a whole is placed at the center.
		whole, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, CenterID: w.CenterID, Category: "not_done",
			Description: "跑了三次", Channel: "telegram", At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "设立帮办窗口"},
			{Action: models.ActDone, Note: "已设立"}, {Action: models.ActPublish}} {
			ch.Actor, ch.At = admin, r.clock.Now()
			if _, _, err := r.store.Transition(ctx, whole.No, ch); err != nil {
				t.Fatal(err)
			}
		}
		for lang, want := range map[string]string{"zh-CN": "示范政务服务中心 · 整个服务中心", "en": "示范政务服务中心 · whole center"} {
			code, body = get("/api/v1/public/notices", lang)
			if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Notices) != 2 {
				t.Fatalf("json: %d %s", code, body)
			}
			places := map[string]string{}
			for _, n := range got.Notices {
				places[n.No] = n.Place
			}
			if places[whole.No] != want {
				t.Errorf("%s: whole-center place = %q, want %q", lang, places[whole.No], want)
			}
		}
	})
}

func TestCSVCellsCannotBeFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+86 138":                  "'+86 138",
		"@SUM(A1)":                 "'@SUM(A1)",
		"-1":                       "-1",
		"0.95":                     "0.95",
		"-cmd|' /C calc'!A0":       "'-cmd|' /C calc'!A0",
		"窗口态度差":                    "窗口态度差",
		"":                         "",
	} {
		if got := api.CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
