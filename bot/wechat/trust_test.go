package wechat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestWeChatTrustLoop is the whole rectification loop through signed callbacks, as WeChat users
// type it: a bad review naming 张伟 goes to the window's lead; 张伟 typing the commands is
// answered as for a ticket that does not exist; a result without substance is refused with the
// rule; the lead reports the fix from the numbered actions of the ticket view, with a photo; the
// supervisor sends it back once and approves it; the citizen re-rates 不满意 with a reason and is
// told the new deadline; the supervisors are sent the reason.
func TestWeChatTrustLoop(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			url := testenv.SQLiteURL(t)
			if db == "postgres" {
				url = testenv.PostgresURL(t)
			}
			store := testenv.OpenDemoStore(t, url)
			clk := testenv.NewClock(testenv.Monday10)
			st := statetest.Memory(t, clk.Now)
			eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now},
				flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
			desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: models.NewPseudonyms([]byte("wx secret")), Target: 0.95})
			e := newEnv(t, false, func(o *wechat.Options) {
				o.Handler, o.State, o.Citizens, o.Now = handlers.NewRouter(eng, nil, handlers.WithDesk(desk)), st, store, clk.Now
				o.ReplyBudget = 30 * time.Second
			})
			e.client.Now = clk.Now
			c := e.client
			const citizen, zhang, lead, sup = "oTRUST00000000000000000000001", "oTRUST00000000000000000000002", "oTRUST00000000000000000000003", "oTRUST00000000000000000000004"
			msg := int64(1000)
			say := func(user, text string) wechattest.Reply {
				t.Helper()
				msg++
				clk.Add(time.Second)
				return e.send(t, c.Text(user, text, msg))
			}
			for user, no := range map[string]string{zhang: "DEMO-001", lead: "DEMO-L01", sup: models.DemoSupervisorNo} {
				code, _, err := store.CreateInvite(ctx, no, 0, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				mustSay(t, say(user, "/bind "+code), "绑定成功")
			}

			// The citizen scans W001's code and rates 张伟 不满意, typing the labels shown.
			mustSay(t, e.send(t, c.Event(citizen, "SCAN", wechat.Scene("W001"), clk.Now().Unix())), "张伟")
			mustSay(t, say(citizen, "张伟"), "不满意")
			mustSay(t, say(citizen, "不满意"), "哪些方面")
			say(citizen, "服务态度")
			mustSay(t, say(citizen, "选好了"), "【服务态度】方面具体是哪些问题")
			say(citizen, "态度冷漠")
			say(citizen, "选好了")
			mustSay(t, say(citizen, "窗口人员一直玩手机，问话不理"), "说完了")
			mustSay(t, say(citizen, "说完了"), "已生成差评工单 T20261123-0001")
			no := "T20261123-0001"

			// The lead is pushed it with its number; 张伟 is not, and cannot act on it.
			leadNew := pushesOf(t, store, lead, models.KindTicketNew)
			if len(leadNew) != 1 || !strings.Contains(leadNew[0].Text, "/ticket "+no) || !strings.Contains(leadNew[0].Buttons, "cmd:/accept "+no) {
				t.Fatalf("the lead's pushes: %+v", leadNew)
			}
			if got := pushesOf(t, store, zhang, ""); len(got) != 0 {
				t.Fatalf("张伟, whom the review names, was pushed %+v", got)
			}
			unknown := say(zhang, "/accept T20990101-0001").Text
			for _, try := range []string{"/accept " + no, "受理 " + no, "/plan " + no + " 我自己整改", "/done " + no + " 我已经整改好了请群众放心满意"} {
				if got := say(zhang, try).Text; strings.ReplaceAll(got, no, "X") != strings.ReplaceAll(unknown, "T20990101-0001", "X") {
					t.Fatalf("%s by the person named: %q, want the unknown ticket's %q", try, got, unknown)
				}
			}

			// The lead works it: the Chinese word, a plan, a refused result, then the view's
			// numbered action with a photo.
			mustSay(t, say(lead, "受理 "+no), "已受理")
			mustSay(t, say(lead, "/plan "+no+" 约谈当事人，调整岗位"), "整改方案已记录")
			mustSay(t, say(lead, "/done "+no+" 已整改"), "至少需要 15 个字", "现在 3 个字")
			mustSay(t, say(lead, "/ticket "+no), "群众点名：张伟（工号 DEMO-001）", "1. 提交整改结果")
			mustSay(t, say(lead, "1"), "至少 15 个字")
			mustSay(t, say(lead, "已约谈当事人，调整至后台岗位，负责人每日抽查"), "1. 提交审核")
			e.api.AddMedia("MEDIA-EVIDENCE", wechattest.PNG())
			msg++
			mustSay(t, e.send(t, c.Image(lead, "MEDIA-EVIDENCE", msg)), "1/3")
			mustSay(t, say(lead, "1"), "已提交督查审核", "佐证照片 1 张")

			// The supervisor sends it back once, then approves it.
			asked := pushesOf(t, store, sup, models.KindTicketAlert)
			if len(asked) != 1 || !strings.Contains(asked[0].Text, "【待审核】工单 "+no) || !strings.Contains(asked[0].Buttons, "cmd:/approve "+no) {
				t.Fatalf("the supervisor's pushes: %+v", asked)
			}
			mustSay(t, say(sup, "/sendback "+no), "退回工单 "+no+" 的原因")
			mustSay(t, say(sup, "请补充岗位调整的书面通知"), "已退回")
			back := pushesOf(t, store, lead, models.KindTicketAlert)
			if len(back) != 1 || !strings.Contains(back[0].Text, "请补充岗位调整的书面通知") {
				t.Fatalf("the lead is told of the send-back: %+v", back)
			}
			mustSay(t, say(lead, "/done "+no+" 已约谈当事人并下发岗位调整书面通知"), "已提交督查审核")
			if n := testenv.Count[models.Push](t, store, "kind = ?", models.KindRerateInvite); n != 0 {
				t.Fatal("the citizen was invited before the sign-off")
			}
			mustSay(t, say(sup, "/ticket "+no), "待督查审核", "群众点名：张伟", "1. 通过", "2. 退回")
			mustSay(t, say(sup, "1"), "已审核通过")

			// The citizen, asked now, is not satisfied and says why; told the real new deadline.
			if n := testenv.Count[models.Push](t, store, "kind = ?", models.KindRerateInvite); n != 1 {
				t.Fatalf("invitations after the approval: %d", n)
			}
			clk.Add(24 * time.Hour) // Tuesday 24 November
			mustSay(t, say(citizen, "/rerate "+no+" unsatisfied"), "哪里还不满意")
			mustSay(t, say(citizen, "窗口还是那个人，态度一样差"), "重新交办", "新的办理期限为 2026年12月15日 周二")

			// The supervisor is sent the reason.
			alerts := pushesOf(t, store, sup, models.KindTicketAlert)
			last := alerts[len(alerts)-1]
			if !strings.Contains(last.Text, "【重新办理】") || !strings.Contains(last.Text, "窗口还是那个人，态度一样差") || !strings.Contains(last.Text, "2026年12月15日") {
				t.Fatalf("the supervisor's last push: %s", last.Text)
			}
		})
	}
}

// pushesOf returns the pushes queued for the WeChat user, of kind (any when empty), worded.
func pushesOf(t *testing.T, s *models.Store, openID, kind string) []models.Push {
	t.Helper()
	c, err := s.CitizenByExternalID(context.Background(), "wechat", openID)
	if err != nil {
		t.Fatal(err)
	}
	q := testenv.DB(t, s).Where("citizen_id = ?", c.ID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var ps []models.Push
	q.Order("id").Find(&ps)
	if len(ps) == 0 {
		return nil
	}
	return pushtest.Worded(t, ps...)
}
