package telegram

import (
	"context"
	"testing"

	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestTelegramInspectorVisit: a citizen inspector invited with a one-time code binds, visits
// window W001 through the buttons, marks one item 不符合 with a photo and a caption, submits, and
// the window's lead is pushed the inspection ticket with the item — never its staff; the
// inspector's /visits shows the visit and its ticket, and the inspector cannot see statistics.
func TestTelegramInspectorVisit(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			clk := newClock()
			st := statetest.Memory(t, clk.Now)
			store := openStore(t, db.url(t))
			desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: models.NewPseudonyms([]byte("e2e secret")), Target: 0.95})
			r := newRig(t, store, st, clk, handlers.WithDesk(desk))
			ctx := context.Background()

			insp, lead, zhang := tgUser{ID: 8201}, tgUser{ID: 8202}, tgUser{ID: 8203}
			code, _, err := store.CreateInspector(ctx, "郑督察", "13900009999", 0, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, oneSend(t, r.step(insp.textUpdate("/bind "+code))).Params["text"], "绑定成功", "市民督察员：郑督察")
			for u, no := range map[tgUser]string{lead: "DEMO-L01", zhang: "DEMO-001"} {
				c, _, err := store.CreateInvite(ctx, no, 0, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				mustContain(t, oneSend(t, r.step(u.textUpdate("/bind "+c))).Params["text"], "绑定成功")
			}

			win := oneSend(t, r.step(insp.textUpdate("/visit")))
			mustContain(t, win.Params["text"], "请选择检查的窗口")
			item := r.press(insp, win.MsgID, "visit:window:W001")
			mustContain(t, item.Params["text"], "第 1/8 项：亮牌上岗")
			for i := 0; i < 2; i++ { // 亮牌上岗, 着装规范
				item = r.press(insp, item.MsgID, "visit:item:pass")
			}
			mustContain(t, item.Params["text"], "第 3/8 项：文明用语")
			detail := r.press(insp, item.MsgID, "visit:item:fail")
			mustContain(t, detail.Params["text"], "不符合：请拍照")
			noted := oneSend(t, r.step(insp.photoUpdate("窗口人员对群众说“不知道，自己看”")))
			mustContain(t, noted.Params["text"], "照片已记下")
			item = r.press(insp, noted.MsgID, "visit:detail:next")
			mustContain(t, item.Params["text"], "第 4/8 项")
			for i := 4; i <= 8; i++ {
				item = r.press(insp, item.MsgID, "visit:item:unobserved")
			}
			mustContain(t, item.Params["text"], "总体情况说明")
			sum := r.press(insp, item.MsgID, "visit:note:skip")
			mustContain(t, sum.Params["text"], "文明用语，无服务禁语：❌ 不符合（窗口人员对群众说“不知道，自己看”）（附照片）", "1 项不符合将各生成一件整改工单")
			done := r.press(insp, sum.MsgID, "visit:confirm:yes")
			no := "T20261123-0001"
			mustContain(t, done.Params["text"], "符合率 66 分", "已生成整改工单："+no)

			// The lead is pushed the ticket, with the item and its photo attached; 张伟 is not.
			pushed := r.pushTo(lead, models.KindTicketNew)
			mustContain(t, pushed[0].Params["text"], "【暗访发现问题】工单 "+no, "不知道，自己看", "承办：窗口负责人")
			if n := testenv.Count[models.Push](t, store, "citizen_id = ?", citizenID(t, store, zhang)); n != 0 {
				t.Fatalf("the window's staff were pushed %d messages of the finding", n)
			}
			tk, err := store.TicketByNo(ctx, no)
			if err != nil {
				t.Fatal(err)
			}
			atts, err := store.TicketAttachments(ctx, tk.ID)
			if err != nil || len(atts) != 1 || tk.Kind != models.KindInspection || tk.Category != "attitude" || tk.Route != models.RouteLead {
				t.Fatalf("ticket %+v, attachments %d, %v", tk, len(atts), err)
			}

			// The inspector sees the visit and its outcome, and nothing of ratings.
			mustContain(t, oneSend(t, r.step(insp.textUpdate("/visits"))).Params["text"], "暗访 · 示范政务服务中心 · W001", "文明用语，无服务禁语：工单 "+no+"（待受理）")
			mustContain(t, only(t, r.step(insp.textUpdate("/stats")), "sendMessage")[0].Params["text"], "没有“/stats”这个指令")
		})
	}
}
