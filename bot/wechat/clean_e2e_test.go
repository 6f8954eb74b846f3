package wechat_test

import (
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestNULThroughWeChatOnPostgres: a complaint whose description holds a NUL byte (which XML
// forbids and PostgreSQL refuses), a bidirectional override and a zero-width space is filed by
// typed messages in plaintext and safe mode on PostgreSQL: every message is answered, the
// complaint is submitted, and stored without them.
func TestNULThroughWeChatOnPostgres(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			s := newStack(t, testenv.OpenDemoStore(t, testenv.PostgresURL(t)), statetest.Memory(t, nil), m.safe, 3*time.Second)
			c := s.client
			const who = "oCLEAN0000000000000000000001"
			mustSay(t, s.send(t, c.Text(who, "/complain W004", 901)), "问题类别")
			mustSay(t, s.send(t, c.Text(who, "工作效能", 902)), "请描述")
			mustSay(t, s.send(t, c.Text(who, "排队\x00两个\u202e小时\u200b", 903)), "已收到", "排队两个小时")
			mustSay(t, s.send(t, c.Text(who, "说完了", 907)), "照片")
			mustSay(t, s.send(t, c.Text(who, "跳过", 904)), "匿名")
			mustSay(t, s.send(t, c.Text(who, "匿名反映", 905)), "请确认", "排队两个小时")
			mustSay(t, s.send(t, c.Text(who, "确认提交", 906)), "工单编号")
			ts := testenv.All[models.Ticket](t, s.store)
			if len(ts) != 1 || ts[0].Description != "排队两个小时" || ts[0].Channel != "wechat" {
				t.Fatalf("tickets = %+v", ts)
			}
		})
	}
}
