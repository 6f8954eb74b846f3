package api_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"windowbot/models"
)

// csvAs fetches path as CSV with the Accept-Language given (none when empty).
func (c *apiClient) csvAs(path, acceptLanguage string) [][]string {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Accept", "text/csv")
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\xEF\xBB\xBF"))).ReadAll()
	if err != nil {
		c.t.Fatalf("CSV: %v", err)
	}
	return rows
}

// column returns the cell of row under header name.
func column(t *testing.T, rows [][]string, row int, name string) string {
	t.Helper()
	for i, h := range rows[0] {
		if h == name {
			return rows[row][i]
		}
	}
	t.Fatalf("no column %q in %v", name, rows[0])
	return ""
}

// TestCSVExportsInChinese: the exports people open in Excel have Chinese headers, levels, states,
// aspects, categories and yes or no in words, and times as 2006-01-02 15:04:05 in the hall's
// zone; the ratings export names the staff member rated. ?lang=en or Accept-Language: en keep
// the codes and RFC 3339 times for scripts.
func TestCSVExportsInChinese(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		nos := apiData(t, r)
		// A rating that names 王芳 of W002.
		w2, _ := r.store.WindowByCode(ctx, "W002")
		wang := r.staff("DEMO-003")
		rated := &models.Rating{WindowID: w2.ID, StaffID: &wang.ID, CitizenID: r.citizen("named-rater").ID, Level: 2,
			Aspects: "efficiency.slow,attitude.cold", Comment: "慢", Channel: "wechat", CreatedAt: r.clock.Now()}
		if err := r.store.CreateRating(ctx, rated, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		admin := newAPI(t, r, adminToken)

		tickets := admin.csvAs("/api/v1/tickets", "")
		if tickets[0][0] != "工单编号" || tickets[0][2] != "状态" || tickets[0][7] != "问题类别" {
			t.Fatalf("tickets header: %v", tickets[0])
		}
		var row int
		for i, r := range tickets {
			if r[0] == nos["W001"][0] {
				row = i
			}
		}
		for name, want := range map[string]string{
			"工单类型": "差评工单", "状态": "整改中", "问题类别": "服务态度", "匿名": "否", "升级督办": "否",
			"提交时间": "2026-11-23 10:00:00", "回访期限": "2026-11-24 23:59:59", "承办": "窗口工作人员",
		} {
			if got := column(t, tickets, row, name); got != want {
				t.Errorf("tickets %s = %q, want %q", name, got, want)
			}
		}
		events := admin.csvAs("/api/v1/tickets/"+nos["W001"][0], "zh-CN,zh;q=0.9")
		if events[0][2] != "办理环节" || events[1][2] != "群众提交" || events[3][2] != "提交整改方案" || events[3][5] != "窗口" ||
			events[1][10] != "2026-11-23 10:00:00" {
			t.Fatalf("events: %v", events)
		}

		ratings := admin.csvAs("/api/v1/ratings", "")
		last := len(ratings) - 1
		for name, want := range map[string]string{
			"被评价人工号": "DEMO-003", "被评价人姓名": "王芳", "评价分值": "2", "评价等级": "不满意",
			"问题或不足": "办事拖沓、态度冷漠", "评价渠道": "微信", "不计入考核": "否", "提交时间": "2026-11-23 14:00:00",
		} {
			if got := column(t, ratings, last, name); got != want {
				t.Errorf("ratings %s = %q, want %q", name, got, want)
			}
		}

		stats := admin.csvAs("/api/v1/stats?center=DEMO", "")
		if stats[0][11] != "满意率" || column(t, stats, 3, "窗口编号") != "W002" || column(t, stats, 3, "是否达标") != "否" ||
			!strings.HasSuffix(column(t, stats, 3, "满意率"), "%") {
			t.Fatalf("stats: %v", stats)
		}

		// Scripts: the codes, by query or by header.
		for _, got := range [][][]string{admin.csvAs("/api/v1/ratings?lang=en", ""), admin.csvAs("/api/v1/ratings", "en-US,en;q=0.9")} {
			if got[0][0] != "id" || column(t, got, last, "level") != "2" || column(t, got, last, "aspects") != "efficiency.slow,attitude.cold" ||
				column(t, got, last, "staff_no") != "DEMO-003" || column(t, got, last, "staff_name") != "王芳" ||
				column(t, got, last, "created_at") != "2026-11-23T14:00:00+08:00" || column(t, got, last, "channel") != "wechat" {
				t.Fatalf("ratings for scripts: %v", got)
			}
		}
		en := admin.csvAs("/api/v1/tickets?lang=en", "zh-CN")
		if en[0][0] != "no" || column(t, en, row, "state") != "rectifying" || column(t, en, row, "created_at") != "2026-11-23T10:00:00+08:00" {
			t.Fatalf("tickets for scripts: %v", en)
		}
	})
}
