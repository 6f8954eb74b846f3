package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestTelegramTrustLoop is the whole rectification loop through the fake Bot API, every press a
// callback query on the message that offered it: a bad review naming 张伟 goes to the window's
// lead, never to 张伟, who cannot act on it (he is answered as for a ticket that does not exist);
// a result without substance is refused with the rule; the lead reports the fix with a photo;
// the supervisor sends it back once and approves the second time; only then is the citizen asked,
// who re-rates 不满意 with a reason and is told the new deadline; the supervisors receive the
// reason.
func TestTelegramTrustLoop(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			clk := newClock()
			st := statetest.Memory(t, clk.Now)
			store := openStore(t, db.url(t))
			desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: models.NewPseudonyms([]byte("e2e secret")), Target: 0.95})
			r := newRig(t, store, st, clk, handlers.WithDesk(desk))
			ctx := context.Background()

			zhang, lead, sup, citizen := tgUser{ID: 8101, Lang: "zh-hans"}, tgUser{ID: 8104}, tgUser{ID: 8102}, tgUser{ID: 8103}
			for u, no := range map[tgUser]string{zhang: "DEMO-001", lead: "DEMO-L01", sup: models.DemoSupervisorNo} {
				code, _, err := store.CreateInvite(ctx, no, 0, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				mustContain(t, oneSend(t, r.step(u.textUpdate("/bind "+code))).Params["text"], "绑定成功")
			}

			// A bad review through the rating buttons, naming 张伟.
			who := oneSend(t, r.step(citizen.textUpdate("/start w_W001")))
			levels := r.press(citizen, who.MsgID, "rate:staff:"+strconv.FormatUint(uint64(staffID(t, store, "DEMO-001")), 10))
			areas := r.press(citizen, levels.MsgID, "rate:level:2")
			r.step(citizen.pressUpdate(areas.MsgID, "rate:areas:attitude"))
			aspects := r.press(citizen, areas.MsgID, "rate:areas:done")
			r.step(citizen.pressUpdate(aspects.MsgID, "rate:aspects:attitude.cold"))
			r.press(citizen, aspects.MsgID, "rate:aspects:done")
			r.step(citizen.textUpdate("窗口人员一直玩手机，问话不理"))
			thanks := oneSend(t, r.step(citizen.textUpdate("说完了")))
			mustContain(t, thanks.Params["text"], "已生成差评工单 T20261123-0001")
			no := "T20261123-0001"

			// The lead is pushed it, with its number and 受理 as a button; 张伟 is not.
			pushed := r.pushTo(lead, models.KindTicketNew)[0]
			mustContain(t, pushed.Params["text"], "【新差评】工单 "+no, "承办：窗口负责人", "/ticket "+no)
			if strings.Contains(pushed.Params["text"], "C-") || !hasData(t, pushed.Params["reply_markup"], "cmd:/accept "+no) {
				t.Fatalf("the lead's push: %v", pushed.Params)
			}
			if n := testenv.Count[models.Push](t, store, "citizen_id = ?", citizenID(t, store, zhang)); n != 0 {
				t.Fatalf("张伟, whom the review names, was pushed %d messages", n)
			}

			// 张伟 acting on it is answered exactly as for a ticket that does not exist.
			unknown := oneSend(t, r.step(zhang.textUpdate("/accept T20990101-0001"))).Params["text"]
			for _, try := range []string{"/accept " + no, "/plan " + no + " 我自己整改", "/done " + no + " 我已经整改好了请群众放心满意"} {
				got := oneSend(t, r.step(zhang.textUpdate(try))).Params["text"]
				if strings.ReplaceAll(got, no, "X") != strings.ReplaceAll(unknown, "T20990101-0001", "X") {
					t.Fatalf("%s by the person named: %q, want the unknown ticket's %q", try, got, unknown)
				}
			}

			// The lead accepts from the push, plans, and a result without substance is refused.
			mustContain(t, r.press(lead, pushed.MsgID, "cmd:/accept "+no).Params["text"], "已受理")
			mustContain(t, oneSend(t, r.step(lead.textUpdate("/done "+no+" 已整改完毕的结果"))).Params["text"], "请先提交整改方案：/plan "+no+" 内容")
			mustContain(t, oneSend(t, r.step(lead.textUpdate("/plan "+no+" 约谈当事人，调整岗位"))).Params["text"], "整改方案已记录")
			mustContain(t, oneSend(t, r.step(lead.textUpdate("/done "+no+" 已整改"))).Params["text"], "至少需要 15 个字", "现在 3 个字")
			view := oneSend(t, r.step(lead.textUpdate("/ticket "+no)))
			mustContain(t, view.Params["text"], "群众点名：张伟（工号 DEMO-001）")
			ask := r.press(lead, view.MsgID, "cmd:/done "+no)
			mustContain(t, ask.Params["text"], "至少 15 个字")
			photos := oneSend(t, r.step(lead.textUpdate("已约谈当事人，调整至后台岗位，负责人每日抽查")))
			added := oneSend(t, r.step(lead.photoUpdate("约谈记录")))
			mustContain(t, added.Params["text"], "1/3")
			mustContain(t, r.press(lead, added.MsgID, "desknote:photos:submit").Params["text"], "已提交督查审核", "佐证照片 1 张")
			_ = photos
			if n := testenv.Count[models.Push](t, store, "kind = ?", models.KindRerateInvite); n != 0 {
				t.Fatal("the citizen was invited before the sign-off")
			}

			// The supervisor sends it back once, with a reason the lead is told.
			review := r.pushTo(sup, models.KindTicketAlert)
			first := review[len(review)-1]
			mustContain(t, first.Params["text"], "【待审核】工单 "+no, "佐证照片 1 张")
			mustContain(t, r.press(sup, first.MsgID, "cmd:/sendback "+no).Params["text"], "退回工单 "+no+" 的原因")
			mustContain(t, oneSend(t, r.step(sup.textUpdate("请补充岗位调整的书面通知"))).Params["text"], "已退回")
			back := r.pushTo(lead, models.KindTicketAlert)
			mustContain(t, back[len(back)-1].Params["text"], "【退回整改】", "请补充岗位调整的书面通知")
			mustContain(t, oneSend(t, r.step(lead.textUpdate("/done "+no+" 已约谈当事人并下发岗位调整书面通知"))).Params["text"], "已提交督查审核")
			review = r.pushTo(sup, models.KindTicketAlert)
			second := review[len(review)-1]
			mustContain(t, r.press(sup, second.MsgID, "cmd:/approve "+no).Params["text"], "已审核通过")

			// Only now is the citizen asked; two days later, not satisfied, with a reason and a photo.
			invite := r.pushTo(citizen, models.KindRerateInvite)[0]
			mustContain(t, invite.Params["text"], "已约谈当事人并下发岗位调整书面通知")
			clk.Add(48 * time.Hour) // Wednesday 25 November, 10:00
			why := r.press(citizen, invite.MsgID, "cmd:/rerate "+no+" unsatisfied")
			mustContain(t, why.Params["text"], "哪里还不满意")
			told := oneSend(t, r.step(citizen.photoUpdate("窗口还是那个人，态度一样差")))
			// 15 working days from Wednesday 25 November: Wednesday 16 December.
			mustContain(t, told.Params["text"], "重新交办", "新的办理期限为 2026年12月16日 周三")
			tk, _ := store.TicketByNo(ctx, no)
			if tk.State != models.StateReopened || !tk.Escalated || tk.RectifyDue.In(testenv.Shanghai).Format(time.DateOnly) != "2026-12-16" {
				t.Fatalf("reopened: %s escalated %v due %s", tk.State, tk.Escalated, tk.RectifyDue)
			}
			if n := testenv.Count[models.TicketAttachment](t, store, "ticket_id = ? AND purpose = ?", tk.ID, models.PhotoRerate); n != 1 {
				t.Errorf("the reason's photo: %d attachments, want 1", n)
			}

			// The supervisor receives the reason.
			alerts := r.pushTo(sup, models.KindTicketAlert)
			mustContain(t, alerts[len(alerts)-1].Params["text"], "【重新办理】", "窗口还是那个人，态度一样差", "2026年12月16日")
		})
	}
}

func staffID(t *testing.T, s *models.Store, no string) uint {
	t.Helper()
	st, err := s.StaffByNo(context.Background(), no)
	if err != nil {
		t.Fatal(err)
	}
	return st.ID
}

func citizenID(t *testing.T, s *models.Store, u tgUser) uint {
	t.Helper()
	c, err := s.CitizenByExternalID(context.Background(), "telegram", strconv.FormatInt(u.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
