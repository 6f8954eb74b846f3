package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"windowbot/handlers"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestTelegramStaffStory is the staff side end to end through the fake Bot API: an administrator
// issues codes, staff and supervisor bind their Telegram accounts, a bad review arrives and is
// pushed to the window's staff, who work it from /todo with buttons and typed commands, the
// citizen re-rates the fix from the pushed buttons, and the supervisor's /stats shows it all.
func TestTelegramStaffStory(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			clk := newClock()
			st := statetest.Memory(t, clk.Now)
			store := openStore(t, db.url(t))
			desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: models.NewPseudonyms([]byte("e2e secret")), Target: 0.95})
			r := newRig(t, store, st, clk, handlers.WithDesk(desk))
			ctx := context.Background()

			staff, sup, citizen := tgUser{ID: 8101, Lang: "zh-hans"}, tgUser{ID: 8102}, tgUser{ID: 8103}
			for u, no := range map[tgUser]string{staff: "DEMO-001", sup: models.DemoSupervisorNo} {
				code, _, err := store.CreateInvite(ctx, no, 0, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				mustContain(t, oneSend(t, r.step(u.textUpdate("/bind "+code))).Params["text"], "绑定成功")
			}

			// A bad review through the rating buttons, not sure who served.
			who := oneSend(t, r.step(citizen.textUpdate("/start w_W001")))
			levels := r.press(citizen, who.MsgID, "rate:staff:skip")
			aspects := r.press(citizen, levels.MsgID, "rate:level:2")
			r.step(citizen.pressUpdate(aspects.MsgID, "rate:aspects:capability.materials"))
			r.press(citizen, aspects.MsgID, "rate:aspects:done")
			r.step(citizen.textUpdate("材料清单没有一次说清"))
			thanks := oneSend(t, r.step(citizen.textUpdate("说完了")))
			mustContain(t, thanks.Params["text"], "已生成差评工单 T20261123-0001")
			no := "T20261123-0001"

			// The window's staff are told in their chat, without who rated.
			pushed := r.pushTo(staff, models.KindTicketNew)
			mustContain(t, pushed[0].Params["text"], "【新差评】工单 "+no, "未一次性告知材料")
			if got := pushed[0].Params["text"]; strings.Contains(got, strconv.FormatInt(citizen.ID, 10)) || strings.Contains(got, "C-") {
				t.Fatalf("the push reveals the citizen: %s", got)
			}

			todo := oneSend(t, r.step(staff.textUpdate("/todo")))
			mustContain(t, todo.Params["text"], "待办工单（1 件", no, "待受理")
			if !hasData(t, todo.Params["reply_markup"], "cmd:/ticket "+no) {
				t.Fatalf("todo buttons: %s", todo.Params["reply_markup"])
			}
			view := r.press(staff, todo.MsgID, "cmd:/ticket "+no)
			mustContain(t, view.Params["text"], "工单 "+no+"（差评工单）", "材料清单没有一次说清")
			accepted := r.press(staff, view.MsgID, "cmd:/accept "+no)
			mustContain(t, accepted.Params["text"], "已受理")
			mustContain(t, oneSend(t, r.step(staff.textUpdate("/plan "+no+" 制作一次性告知清单"))).Params["text"], "整改方案已记录")
			mustContain(t, oneSend(t, r.step(staff.textUpdate("/done "+no+" 清单已张贴并培训"))).Params["text"], "已办结")

			// The citizen re-rates the fix from the pushed invitation.
			invite := r.pushTo(citizen, models.KindRerateInvite)[0]
			mustContain(t, invite.Params["text"], "清单已张贴并培训")
			mustContain(t, r.press(citizen, invite.MsgID, "cmd:/rerate "+no+" satisfied").Params["text"], "已关闭")

			stats := oneSend(t, r.step(sup.textUpdate("/stats")))
			mustContain(t, stats.Params["text"], "示范政务服务中心", "评价 1 条", "不满意 1", "差评 1 条", "办理中 0 件")
			tk, _ := store.TicketByNo(ctx, no)
			if tk.State != models.StateClosed || tk.Rerate != models.RerateSatisfied {
				t.Fatalf("ticket = %s %s", tk.State, tk.Rerate)
			}
			// A citizen trying a staff command is answered like an unknown command.
			mustContain(t, only(t, r.step(citizen.textUpdate("/todo")), "sendMessage")[0].Params["text"], "没有“/todo”这个指令")
		})
	}
}
