package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/internal/text"
	"windowbot/models"
)

// slowHandler holds a turn before it reaches the router, to push it over the reply budget for
// as long as the test wants.
type slowHandler struct {
	bot.Handler
	gate atomic.Pointer[chan struct{}]
}

// hold makes the next turns wait until the returned release is called.
func (s *slowHandler) hold() (release func()) {
	gate := make(chan struct{})
	s.gate.Store(&gate)
	return sync.OnceFunc(func() { s.gate.Store(nil); close(gate) })
}

func (s *slowHandler) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	if gate := s.gate.Load(); gate != nil {
		select {
		case <-*gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Handler.Handle(ctx, in)
}

// stack is the real channel: adapter → router → engine → rate flow → store and state.
type stack struct {
	*env
	store *models.Store
	slow  *slowHandler
	st    flows.State // the conversations and the channel's keys
}

func newStack(t *testing.T, store *models.Store, st flows.State, safe bool, budget time.Duration) *stack {
	t.Helper()
	s := &stack{store: store, st: st}
	eng := flows.NewEngine(flows.Options{State: st, Store: store},
		flows.NewRate(store, testenv.Shanghai, 1), flows.NewComplain(store, st, 30*time.Minute),
		flows.NewTrack(store), flows.NewRerate(store), flows.NewAppeal(store), flows.NewDeskNote(store, st, 30*time.Minute))
	s.slow = &slowHandler{Handler: handlers.NewRouter(eng, nil)}
	s.env = newEnv(t, safe, func(o *wechat.Options) {
		o.Handler, o.State, o.Citizens = s.slow, st, store
		o.ReplyBudget = budget
	})
	return s
}

// backends runs fn on each database with each state store, in plaintext and safe mode.
func backends(t *testing.T, budget time.Duration, fn func(t *testing.T, s *stack)) {
	for _, db := range []string{"sqlite", "postgres"} {
		for _, st := range []string{"memory", "redis"} {
			for _, m := range modes() {
				t.Run(db+"+"+st+"/"+m.name, func(t *testing.T) {
					var fs flows.State
					if st == "redis" {
						fs = statetest.Redis(t)
					} else {
						fs = statetest.Memory(t, nil)
					}
					url := testenv.SQLiteURL(t)
					if db == "postgres" {
						url = testenv.PostgresURL(t)
					}
					fn(t, newStack(t, testenv.OpenDemoStore(t, url), fs, m.safe, budget))
				})
			}
		}
	}
}

func (s *stack) ratings(t *testing.T) []models.Rating {
	t.Helper()
	return testenv.All[models.Rating](t, s.store)
}

func mustSay(t *testing.T, rep wechattest.Reply, want ...string) {
	t.Helper()
	if !rep.Passive {
		t.Fatalf("reply %+v is not a passive text", rep)
	}
	for _, w := range want {
		if !strings.Contains(rep.Text, w) {
			t.Fatalf("reply\n%s\ndoes not contain %q", rep.Text, w)
		}
	}
}

// TestQRScanToThanks: a new follower scans window W001's QR code and rates it by typing numbers
// (the staff member who served them, the level, praise) and a comment in two messages; a retried
// message records nothing twice.
func TestQRScanToThanks(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		c := s.client
		const user = "oE2E0000000000000000000000001"
		ct := time.Now().Unix()
		rep := s.send(t, c.Event(user, "subscribe", "qrscene_w_W001", ct))
		mustSay(t, rep, "W001", "请问为您办理业务的工作人员是？", "1. 张伟", "2. 李娜", "3. 不确定/跳过")
		rep = s.send(t, c.Text(user, "2", 100)) // 李娜
		mustSay(t, rep, "工作人员李娜", "1. ★★★★★ 非常满意", "5. ★☆☆☆☆ 非常不满意", "回复编号")
		rep = s.send(t, c.Text(user, "1", 101)) // the first line: 非常满意
		mustSay(t, rep, "1. ", "5. 跳过")
		rep = s.send(t, c.Text(user, "1 2", 102)) // two praise tags
		mustSay(t, rep, flows.Checked, "5. 选好了")
		rep = s.send(t, c.Text(user, "选好了", 103))
		mustSay(t, rep, "留言")

		mustSay(t, s.send(t, c.Text(user, "窗口服务很好，", 104)), "已收到", "1. 说完了", "2. 重新输入")
		mustSay(t, s.send(t, c.Text(user, "一次办成", 105)), "窗口服务很好，\n一次办成")
		// 说完了 is delivered three times at once, as WeChat does when it gets no answer.
		reps := deliverAtOnce(t, c.Text(user, "1", 106), c, c, c)
		thanks := 0
		for _, r := range reps {
			if r.Passive {
				mustSay(t, r, "感谢您的评价", "W001", "工作人员：李娜", "非常满意", "窗口服务很好")
				thanks++
			}
		}
		if thanks == 0 {
			t.Fatalf("no delivery got the thanks: %+v", reps)
		}
		// A late retry of an earlier step neither advances nor records.
		s.send(t, c.Text(user, "1", 101))

		rs := s.ratings(t)
		if len(rs) != 1 {
			t.Fatalf("ratings %d, want 1", len(rs))
		}
		r := rs[0]
		if r.Level != 5 || r.Channel != "wechat" || r.Comment != "窗口服务很好，\n一次办成" || strings.Count(r.Praise, ",") != 1 || r.StaffID == nil {
			t.Errorf("rating %+v", r)
		}
		cit, err := s.store.CitizenByExternalID(context.Background(), "wechat", user)
		if err != nil || cit.ID != r.CitizenID || cit.Inactive {
			t.Errorf("citizen %+v, %v", cit, err)
		}
		if n := len(s.api.Custom()); n != 0 {
			t.Errorf("%d customer-service messages for answers given in time", n)
		}

		// Rating the same window again today is refused, whichever way it starts.
		rep = s.send(t, c.Event(user, "SCAN", "w_W001", ct+1))
		mustSay(t, rep, "已经评价过")

		// Unfollowing marks the citizen inactive for pushes.
		s.send(t, c.Event(user, "unsubscribe", "", ct+2))
		if cit, _ := s.store.CitizenByExternalID(context.Background(), "wechat", user); cit == nil || !cit.Inactive {
			t.Errorf("after unsubscribe: %+v", cit)
		}
	})
}

// TestTypedLevelOnWeChat: the level question lists 非常满意 first and numbers the lines in the
// order shown, so a citizen who types "1" means the first line, 非常满意, and "5" the last,
// 非常不满意, which is confirmed once before it counts; the label works too. Only the
// 非常不满意 rating opens a bad-review ticket.
func TestTypedLevelOnWeChat(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		c := s.client
		for i, tc := range []struct {
			typed string
			want  int
		}{
			{"1", 5},
			{"5", 1},
			{"非常满意", 5},
		} {
			t.Run(tc.typed, func(t *testing.T) {
				user := fmt.Sprintf("oLEVEL00000000000000000000%03d", i)
				id := int64(1000 * (i + 1))
				rep := s.send(t, c.Text(user, "/start w_W002", id)) // one staff member: the level at once
				mustSay(t, rep, "1. ★★★★★ 非常满意\n2. ★★★★☆ 满意\n3. ★★★☆☆ 基本满意\n\n4. ★★☆☆☆ 不满意\n5. ★☆☆☆☆ 非常不满意\n（回复编号")
				rep = s.send(t, c.Text(user, tc.typed, id+1))
				if models.Level(tc.want).Bad() {
					mustSay(t, rep, "您回复的编号是“非常不满意”", "1. 确认：非常不满意", "2. 重新选择")
					rep = s.send(t, c.Text(user, "1", id+5))
				}
				if models.Level(tc.want).AsksAspects() {
					mustSay(t, rep, "哪些方面需要改进")
					s.send(t, c.Text(user, "1", id+2))
					mustSay(t, s.send(t, c.Text(user, "选好了", id+3)), "具体是哪些问题")
					s.send(t, c.Text(user, "1", id+6)) // the first problem of the aspect
					mustSay(t, s.send(t, c.Text(user, "选好了", id+7)), "留言")
				} else {
					mustSay(t, rep, "哪些方面让您满意")
					s.send(t, c.Text(user, "跳过", id+2))
				}
				mustSay(t, s.send(t, c.Text(user, "跳过", id+4)), "感谢您的评价", "评价："+text.Level(text.ZH, tc.want))
				cit, err := s.store.CitizenByExternalID(context.Background(), "wechat", user)
				if err != nil {
					t.Fatal(err)
				}
				var rs []models.Rating
				testenv.DB(t, s.store).Where("citizen_id = ?", cit.ID).Find(&rs)
				if len(rs) != 1 || rs[0].Level != tc.want {
					t.Fatalf("typed %q recorded %+v, want level %d", tc.typed, rs, tc.want)
				}
				var tickets int64
				testenv.DB(t, s.store).Model(&models.Ticket{}).Where("citizen_id = ?", cit.ID).Count(&tickets)
				if bad := models.Level(tc.want).Bad(); tickets != map[bool]int64{true: 1, false: 0}[bad] {
					t.Errorf("level %d opened %d tickets", tc.want, tickets)
				}
			})
		}
	})
}

// TestBadReviewTypedChoices: a bad review through typed numbers and labels; the retry of the
// level message three times in a row advances once.
func TestBadReviewTypedChoices(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		c := s.client
		const user = "oE2E0000000000000000000000002"
		s.send(t, c.Text(user, "/start w_W002", 201))
		lvl := c.Text(user, "不满意", 202)
		var first wechattest.Reply
		for i := 0; i < 3; i++ {
			rep := s.send(t, lvl)
			if i == 0 {
				first = rep
				mustSay(t, rep, "哪些方面需要改进", "1. ", "如“1 3”")
			} else if rep.Passive && rep.Text != first.Text {
				t.Fatalf("retry %d got another answer:\n%s", i, rep.Text)
			}
		}
		mustSay(t, s.send(t, c.Text(user, "1 3", 203)), flows.Checked+"工作效能", flows.Checked+"服务能力")
		mustSay(t, s.send(t, c.Text(user, "选好了", 204)), "【工作效能】", "1. 办事拖沓", "5. 选好了")
		mustSay(t, s.send(t, c.Text(user, "1 5", 206)), "【服务能力】", "1. 政策解释不清", "4. 选好了")
		rep := s.send(t, c.Text(user, "1 4", 207))
		mustSay(t, rep, "留言")
		rep = s.send(t, c.Text(user, "跳过", 205))
		mustSay(t, rep, "感谢您的评价", "不满意")
		rs := s.ratings(t)
		if len(rs) != 1 || rs[0].Level != 2 || strings.Count(rs[0].Aspects, ",") != 1 {
			t.Fatalf("ratings %+v", rs)
		}
	})
}

// TestSlowStepAndTokenExpiry: the recording step takes longer than the budget, so the callback
// answers "success" once the budget is used, and the thanks arrive through the customer-service
// API when the step is done, even though the access token expired in the meantime.
func TestSlowStepAndTokenExpiry(t *testing.T) {
	// The budget is that of the other tests: the steps before the held one must be answered in
	// time even on a loaded machine under the race detector.
	const budget = 3 * time.Second
	backends(t, budget, func(t *testing.T, s *stack) {
		c := s.client
		const user = "oE2E0000000000000000000000003"
		// A push fetches the token first.
		if err := s.a.Send(context.Background(), bot.Recipient{Platform: bot.WeChat, ChatID: user},
			bot.Reply{Text: "欢迎", Kind: "ticket_update"}); err != nil {
			t.Fatal(err)
		}
		s.send(t, c.Text(user, "/start w_W003", 301))
		s.send(t, c.Text(user, "不确定", 310))                  // who served: not sure
		s.send(t, c.Text(user, "2", 302))                    // 满意
		mustSay(t, s.send(t, c.Text(user, "跳过", 303)), "留言") // no praise
		s.api.ExpireToken()                                  // expires before the late answer goes out
		// The turn waits until release.
		release := s.slow.hold()
		defer release()
		msg := c.Text(user, "跳过", 304)
		start := time.Now()
		rep := s.send(t, msg)
		if rep.Passive || rep.Text != "success" {
			t.Fatalf("slow step answered %+v, want success", rep)
		}
		if d := time.Since(start); d < budget {
			t.Errorf("gave up after %s, before the %s budget was used", d, budget)
		}
		// WeChat does not retry after "success"; if it did, nothing would happen twice.
		s.send(t, msg)
		if rs := s.ratings(t); len(rs) != 0 {
			t.Fatalf("recorded %+v while the step was held", rs)
		}
		for _, m := range s.api.Custom() {
			if m.ToUser == user {
				t.Fatalf("sent %q before the step was done", m.Text)
			}
		}
		release()
		waitFor(t, "thanks through the customer-service API", func() bool { return len(s.api.Custom()) >= 1 })
		s.drain(t)
		var thanks []string
		for _, m := range s.api.Custom() {
			if m.ToUser == user && strings.Contains(m.Text, "感谢您的评价") {
				thanks = append(thanks, m.Text)
			}
		}
		if len(thanks) != 1 {
			t.Fatalf("thanks sent %d times: %q", len(thanks), thanks)
		}
		if n := s.api.TokenFetches(); n != 2 {
			t.Errorf("token fetches %d, want 2 (first, and after expiry)", n)
		}
		if rs := s.ratings(t); len(rs) != 1 || rs[0].Level != 4 {
			t.Fatalf("ratings %+v", rs)
		}
	})
}

// TestBadSignatureChangesNothing: a callback signed with another token is refused and leaves no
// citizen, session or rating behind.
func TestBadSignatureChangesNothing(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		forged := *s.client
		forged.Token = "forged"
		const user = "oE2E0000000000000000000000004"
		for i, m := range []wechattest.Message{
			forged.Event(user, "subscribe", "qrscene_w_W001", time.Now().Unix()),
			forged.Text(user, "/start w_W001", 401),
		} {
			rep, err := forged.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != 403 {
				t.Errorf("forged callback %d: status %d, want 403", i, rep.Status)
			}
		}
		if _, err := s.store.CitizenByExternalID(context.Background(), "wechat", user); err == nil {
			t.Error("a forged callback created a citizen")
		}
		if rs := s.ratings(t); len(rs) != 0 {
			t.Errorf("ratings %d", len(rs))
		}
		if _, err := s.st.Load(context.Background(), flows.SessionKey(bot.WeChat, user)); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a forged callback left a session behind (%v)", err)
		}
	})
}

// TestRetryOnAnotherReplica: two replicas share the database and the Redis state; the same
// message delivered to both at once (WeChat's retry reached the other replica) records once.
func TestRetryOnAnotherReplica(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		store, st := testenv.OpenDemoStore(t, url), statetest.Redis(t)
		one := newStack(t, store, st, true, 3*time.Second)
		two := newStack(t, store, st, true, 3*time.Second)
		const user = "oE2E0000000000000000000000005"
		mustSay(t, one.send(t, one.client.Text(user, "/start w_W004", 501)), "1. ★★★★★ 非常满意")
		mustSay(t, two.send(t, two.client.Text(user, "3", 502)), "哪些方面需要改进") // 基本满意
		mustSay(t, one.send(t, one.client.Text(user, "2", 503)), flows.Checked)
		mustSay(t, two.send(t, two.client.Text(user, "选好了", 504)), "【服务态度】方面具体是哪些问题")
		mustSay(t, one.send(t, one.client.Text(user, "1", 5041)), flows.Checked)
		mustSay(t, two.send(t, two.client.Text(user, "选好了", 5042)), "留言")

		reps := deliverAtOnce(t, one.client.Text(user, "跳过", 505), one.client, two.client, one.client, two.client)
		got := 0
		for _, r := range reps {
			if r.Passive {
				mustSay(t, r, "感谢您的评价", "基本满意")
				got++
			}
		}
		if got == 0 {
			t.Fatalf("no delivery got the thanks: %+v", reps)
		}
		if rs := one.ratings(t); len(rs) != 1 || rs[0].Level != 3 {
			t.Fatalf("ratings %+v", rs)
		}
	})
}

// TestVoiceComplaintOnWeChat: a citizen speaks their complaint. The description heard by
// WeChat's speech recognition is shown back once (您说的是：……，对吗？) and becomes the description
// only when they say yes; a choice named by voice exactly needs no confirmation; a voice message
// without recognition is kept with the complaint as an attachment.
func TestVoiceComplaintOnWeChat(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		c := s.client
		const user = "oE2E0000000000000000000000009"
		s.api.AddMedia("VOICE-1", []byte("#!AMR\n fake voice"))
		s.send(t, c.Text(user, "/complain W003", 901))
		// The category, said by its name: taken at once.
		mustSay(t, s.send(t, c.Voice(user, "V-0", "服务能力。", 902)), "请问是办理哪个事项时遇到的问题", "1. 居民户口迁移")
		// The matter, said by its name: taken at once too.
		mustSay(t, s.send(t, c.Voice(user, "V-00", "居民户口迁移。", 9021)), "请描述")
		// Misheard first: 不对 asks again and nothing is kept.
		mustSay(t, s.send(t, c.Voice(user, "V-1", "材料一次性告知不全跑了三堂。", 903)), "您说的是：材料一次性告知不全跑了三堂，对吗？", "1. 对，就是这样", "2. 不对，重新说")
		mustSay(t, s.send(t, c.Text(user, "2", 904)), "请再说一遍", "请描述")
		mustSay(t, s.send(t, c.Voice(user, "V-2", "材料一次性告知不全，跑了三趟。", 905)), "您说的是：材料一次性告知不全，跑了三趟，对吗？")
		mustSay(t, s.send(t, c.Text(user, "1", 906)), "材料一次性告知不全，跑了三趟", "说完了")
		mustSay(t, s.send(t, c.Text(user, "说完了", 907)), "照片")
		// A voice message WeChat did not recognise: kept, as a photo would be.
		mustSay(t, s.send(t, c.Voice(user, "VOICE-1", "", 908)), "已收到语音")
		mustSay(t, s.send(t, c.Text(user, "选好了", 909)), "实名")
		mustSay(t, s.send(t, c.Text(user, "匿名反映", 910)), "语音：1 条", "材料一次性告知不全，跑了三趟")
		mustSay(t, s.send(t, c.Text(user, "确认提交", 911)), "T2026")
		tks := testenv.All[models.Ticket](t, s.store)
		if len(tks) != 1 || tks[0].Description != "材料一次性告知不全，跑了三趟" || tks[0].Category != "capability" {
			t.Fatalf("tickets %+v", tks)
		}
		as, err := s.store.TicketAttachments(t.Context(), tks[0].ID)
		if err != nil || len(as) != 1 || as[0].MIMEType != "audio/amr" || as[0].Size != int64(len("#!AMR\n fake voice")) {
			t.Fatalf("attachments %+v, %v", as, err)
		}
	})
}
