package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestFlagsHoldBurstOutOfStar (issue 16): a burst of 5-star ratings of one staff member is
// flagged by the scan and left out of the service star; the supervisor sees it in /flags, without
// the citizens, keeps the ratings one by one, and the star counts them again.
func TestFlagsHoldBurstOutOfStar(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		sup := r.bind(models.DemoSupervisorNo)
		w1, err := r.store.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		rate := func(staffNo string, level int, at time.Time) {
			c := r.citizen(r.chat("rater"))
			id := r.staff(staffNo).ID
			if err := r.store.CreateRating(ctx, &models.Rating{WindowID: w1.ID, StaffID: &id, CitizenID: c.ID, Level: level,
				Channel: string(bot.Telegram), CreatedAt: at}, at.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		now := r.clock.Now()
		for d := range 4 { // 张伟: four good ratings over four days
			rate("DEMO-001", 4, now.Add(-time.Duration(d+1)*24*time.Hour))
		}
		for i := range 6 { // 李娜: six top ratings in nine minutes
			rate("DEMO-002", 5, now.Add(-time.Hour+time.Duration(i)*90*time.Second))
		}
		if n, err := r.store.ScanFraud(ctx, now.Add(-2*time.Hour), now); err != nil || n < 6 {
			t.Fatalf("scan: %d flags, %v", n, err)
		}
		star := testenv.Text(r.say(sup, "/star"))
		if !strings.Contains(star, "张伟") || strings.Contains(star, "李娜") {
			t.Fatalf("the burst counts toward the star:\n%s", star)
		}
		list := r.say(sup, "/flags")
		text := testenv.Text(list)
		if !strings.Contains(text, "待复核的可疑评价 6 条") || !strings.Contains(text, "同一工作人员 10 分钟内集中收到 6 条“非常满意”") ||
			!strings.Contains(text, "李娜") || strings.Contains(text, "rater") {
			t.Fatalf("/flags:\n%s", text)
		}
		var ids []string
		for _, row := range list[0].Buttons {
			id, ok := strings.CutPrefix(row[0].Payload, "cmd:/flags keep ")
			if !ok {
				t.Fatalf("buttons %+v", list[0].Buttons)
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			testenv.MustContain(t, r.press(sup, "cmd:/flags keep "+id), "已保留评价 #"+id)
		}
		testenv.MustContain(t, r.say(sup, "/flags exclude "+ids[0]), "已复核过")
		testenv.MustContain(t, r.say(sup, "/flags"), "目前没有待复核的可疑评价")
		if star := testenv.Text(r.say(sup, "/star")); !strings.Contains(star, "李娜") {
			t.Fatalf("kept ratings still held out of the star:\n%s", star)
		}
		if !strings.Contains(r.logs.String(), fmt.Sprintf("flag_id=%s", ids[0])) {
			t.Errorf("the decision is not logged:\n%s", r.logs.String())
		}
	})
}
