package wechat_test

import (
	"strings"
	"testing"
	"time"

	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestWeChatGuideByPartialName: through signed callbacks, a citizen asks "办营业执照需要什么材料"
// (part of the matter 个体工商户营业执照新办) and gets every material, the time limit, the fee
// and the window in one answer; a bare part of a name that fits two matters offers both, and the
// typed number of one answers with its whole list.
func TestWeChatGuideByPartialName(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
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
			const citizen = "oGUIDE0000000000000000000001"
			msg := int64(5000)
			say := func(text string) wechattest.Reply {
				t.Helper()
				msg++
				clk.Add(time.Second)
				return e.send(t, e.client.Text(citizen, text, msg))
			}
			rep := say("请问办营业执照需要什么材料？")
			mustSay(t, rep, "【个体工商户营业执照新办】", "共 3 项", "1. 经营者身份证原件", "2. 经营场所使用证明",
				"3. 个体工商户登记申请书", "办理时限：1 个工作日", "收费标准：不收费", "W004 企业开办", "备注：可网上办理")

			rep = say("不动产")
			mustSay(t, rep, "找到 2 个相关事项", "1. 不动产登记（二手房转移登记）", "2. 不动产抵押登记")
			rep = say("2")
			mustSay(t, rep, "【不动产抵押登记】", "1. 不动产权证书原件", "2. 借款合同及抵押合同", "3. 借款人身份证原件", "办理时限：3 个工作日")
			if strings.Contains(rep.Text, "找到") {
				t.Fatalf("the choice was asked again: %s", rep.Text)
			}
		})
	}
}
