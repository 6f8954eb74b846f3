package flows_test

import (
	"context"
	"strings"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// The citizen's words are never lost or twisted (issue 13): free text gathered over several
// messages, text typed at a button step kept or answered, WeChat's numbers read as shown.

// wechat types text in the WeChat chat chat, where choices are numbered lines.
func (r *rig) wechat(chat, text string) []bot.Reply {
	r.t.Helper()
	out, err := r.driver.Handle(context.Background(), bot.Inbound{Platform: bot.WeChat, ChatID: chat, Text: text})
	if err != nil {
		r.t.Fatalf("wechat %q: %v", text, err)
	}
	if len(out) == 0 {
		r.t.Fatalf("wechat %q: no reply", text)
	}
	return out
}

// lastRating is the rating stored last.
func (r *rig) lastRating() models.Rating {
	r.t.Helper()
	rs := r.ratings()
	if len(rs) == 0 {
		r.t.Fatal("no rating stored")
	}
	return rs[len(rs)-1]
}

// toComment brings chat's rating of W002 (one staff member) to the comment question at level 4.
func (r *rig) toComment(chat string) {
	r.t.Helper()
	r.say(chat, "/start w_W002")
	r.press(chat, "rate:level:4")
	out := r.press(chat, "rate:praise:done")
	testenv.MustContain(r.t, out, "还有什么想说的吗")
}

// TestCommentGathersSeveralMessages: a comment typed as several messages is kept whole; each one
// is answered with what was gathered so far, 重新输入 starts again, and 说完了 stores the rating.
func TestCommentGathersSeveralMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.toComment("g1")
		out := r.say("g1", "asdfgh 😀")
		testenv.MustContain(t, out, "已收到（1 段", "asdfgh 😀", "说完了", "重新输入")
		if len(r.ratings()) != 0 {
			t.Fatal("the rating was stored before the citizen said they were done")
		}
		out = r.press("g1", "rate:comment:redo")
		testenv.MustContain(t, out, "已清空", "还有什么想说的吗")
		testenv.MustNotContain(t, out, "asdfgh")
		r.say("g1", "取号后等了四十分钟")
		out = r.say("g1", "不过窗口的同志很耐心")
		testenv.MustContain(t, out, "已收到（2 段", "取号后等了四十分钟\n不过窗口的同志很耐心")
		out = r.press("g1", "rate:comment:said")
		testenv.MustContain(t, out, "感谢您的评价", "取号后等了四十分钟")
		if got := r.lastRating().Comment; got != "取号后等了四十分钟\n不过窗口的同志很耐心" {
			t.Fatalf("comment stored %q", got)
		}
	})
}

// TestCommentGatherLimitAndEmptyDone: a message that would take the comment past its limit is
// not added, with a word; 说完了 with nothing typed asks for the text; skip after typing does
// not drop what was typed.
func TestCommentGatherLimitAndEmptyDone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.toComment("g2")
		testenv.MustContain(t, r.press("g2", "rate:comment:said"), "还没有收到内容")
		r.say("g2", strings.Repeat("慢", models.MaxCommentRunes-2))
		out := r.say("g2", "太慢了")
		testenv.MustContain(t, out, "这段没有记下", "超过了 500 字")
		out = r.press("g2", "rate:comment:skip")
		testenv.MustContain(t, out, "还没有提交")
		r.press("g2", "rate:comment:said")
		if got := r.lastRating().Comment; got != strings.Repeat("慢", models.MaxCommentRunes-2) {
			t.Fatalf("comment stored %d characters", len([]rune(got)))
		}
	})
}

// TestTextTypedAtChecklistIsTheComment: praise typed at the "what was good" checklist is kept as
// the comment, the checklist is shown again, and the comment step starts from it.
func TestTextTypedAtChecklistIsTheComment(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("g3", "/start w_W002")
		r.press("g3", "rate:level:5")
		out := r.say("g3", "王芳讲得很清楚")
		testenv.MustContain(t, out, "已记下您的留言", "王芳讲得很清楚", "哪些方面让您满意")
		if !testenv.HasButton(last(out), "rate:praise:warm") {
			t.Fatalf("the checklist is not shown again: %+v", out)
		}
		r.press("g3", "rate:praise:professional")
		out = r.press("g3", "rate:praise:done")
		testenv.MustContain(t, out, "已收到（1 段", "王芳讲得很清楚")
		r.say("g3", "一次就办好了")
		r.press("g3", "rate:comment:said")
		got := r.lastRating()
		if got.Comment != "王芳讲得很清楚\n一次就办好了" || got.Praise != "professional" {
			t.Fatalf("stored %+v", got)
		}
	})
}

// TestTextTypedAtButtonStepsIsAnswered: text typed where only a choice will do (who served you,
// the level, a bad level's confirmation) is answered with a hint and the choices again: press a
// button, or on WeChat reply with a number.
func TestTextTypedAtButtonStepsIsAnswered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("h1", "/start w_W001")
		out := r.say("h1", "那个戴眼镜的")
		testenv.MustContain(t, out, "请点击下方按钮选择", "工作人员是")
		if !testenv.HasButton(last(out), "rate:staff:skip") {
			t.Fatalf("staff choices not offered again: %+v", out)
		}
		r.press("h1", "rate:staff:skip")
		out = r.say("h1", "还行吧")
		testenv.MustContain(t, out, "请点击下方按钮选择", "满意吗")

		r.wechat("h2", "/start w_W001")
		out = r.wechat("h2", "那个戴眼镜的")
		testenv.MustContain(t, out, "请回复编号", "工作人员是")
		r.wechat("h2", "3") // not sure
		out = r.wechat("h2", "还行吧")
		testenv.MustContain(t, out, "请回复编号", "满意吗")
		testenv.MustContain(t, r.wechat("h2", "5"), "非常不满意")
		out = r.wechat("h2", "算了")
		testenv.MustContain(t, out, "请回复编号", "确认")
	})
}

// TestWeChatNumbersFollowTheLines: on WeChat 1 is the first line shown, 非常满意 — a citizen who
// replies 1 does not file 非常不满意 — and a bad level chosen by number is confirmed once:
// 重新选择 asks again, and the rating records what was confirmed.
func TestWeChatNumbersFollowTheLines(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.wechat("n1", "/start w_W002")
		out := r.wechat("n1", "1")
		testenv.MustContain(t, out, "哪些方面让您满意")
		r.wechat("n1", "5") // the praise checklist's last line: skip
		r.wechat("n1", "1") // skip the comment
		if got := r.lastRating(); got.Level != 5 || got.Comment != "" {
			t.Fatalf("replying 1 recorded level %d, comment %q", got.Level, got.Comment)
		}
		if n := len(r.tickets()); n != 0 {
			t.Fatalf("%d tickets opened by a very satisfied rating", n)
		}

		r.wechat("n2", "/start w_W003")
		r.wechat("n2", "1") // the first staff member
		out = r.wechat("n2", "5")
		testenv.MustContain(t, out, "您回复的编号是“非常不满意”")
		out = r.wechat("n2", "2") // choose again
		testenv.MustContain(t, out, "满意吗")
		out = r.wechat("n2", "4")
		testenv.MustContain(t, out, "您回复的编号是“不满意”")
		out = r.wechat("n2", "1") // confirmed
		testenv.MustContain(t, out, "哪些方面需要改进")
		r.wechat("n2", "1 5") // an aspect and 选好了 at once
		r.wechat("n2", "1 5") // its first problem and 选好了
		r.wechat("n2", "1")   // skip the comment
		if got := r.lastRating(); got.Level != 2 || got.Aspects != "efficiency.slow" {
			t.Fatalf("stored %+v", got)
		}
	})
}

// TestWeChatNumberAtFreeTextStepIsTheChoice: at the comment step WeChat lists "1. 跳过", so 1
// skips rather than becoming the comment "1"; once something is typed, 1 is 说完了 and 2 is
// 重新输入, as they are listed.
func TestWeChatNumberAtFreeTextStepIsTheChoice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.wechat("c1", "/start w_W002")
		r.wechat("c1", "2")                                   // 满意
		r.wechat("c1", "5")                                   // skip the praise
		testenv.MustContain(t, r.wechat("c1", "1"), "感谢您的评价") // skip the comment
		if got := r.lastRating().Comment; got != "" {
			t.Fatalf("replying 1 at the comment step stored the comment %q", got)
		}

		r.wechat("c2", "/start w_W004")
		r.wechat("c2", "2")
		r.wechat("c2", "5")
		r.wechat("c2", "办得快")
		testenv.MustContain(t, r.wechat("c2", "2"), "已清空")
		r.wechat("c2", "办得很快")
		r.wechat("c2", "1")
		if got := r.lastRating().Comment; got != "办得很快" {
			t.Fatalf("comment stored %q", got)
		}
	})
}

// toDescription brings chat's complaint about W001 to the description question.
func (r *rig) toDescription(chat string) {
	r.t.Helper()
	r.say(chat, "/complain W001")
	out := r.press(chat, "complain:category:efficiency")
	if testenv.HasButton(last(out), "complain:dup:new") {
		out = r.press(chat, "complain:dup:new")
	}
	testenv.MustContain(r.t, out, "请描述具体情况")
}

// TestDescriptionGathersSeveralMessages: a false start and then the real description, sent as
// messages, are both kept; 重新输入 drops them; the photo that follows ends the description and
// is taken as a photo; text typed at the photo step is added to the description.
func TestDescriptionGathersSeveralMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.toDescription("d1")
		r.say("d1", "asdfgh 😀")
		testenv.MustContain(t, r.press("d1", "complain:desc:redo"), "已清空", "请描述具体情况")
		r.say("d1", "上周二来办营业执照变更")
		out := r.say("d1", "窗口说缺材料，但清单上没有这一项")
		testenv.MustContain(t, out, "已收到（2 段", "上周二来办营业执照变更\n窗口说缺材料")
		out = r.photo("d1", "AgACAgIAAxk-d1", 120_000)
		testenv.MustContain(t, out, "已收到照片（1/3）")
		out = r.say("d1", "第二次来又说要另一份证明")
		testenv.MustContain(t, out, "已补充到描述中", "第二次来又说要另一份证明")
		r.press("d1", "complain:photos:done")
		r.press("d1", "complain:identity:anonymous")
		out = r.press("d1", "complain:confirm:submit")
		testenv.MustContain(t, out, "工单编号")
		ts := r.tickets()
		want := "上周二来办营业执照变更\n窗口说缺材料，但清单上没有这一项\n第二次来又说要另一份证明"
		if got := ts[len(ts)-1].Description; got != want {
			t.Fatalf("description %q, want %q", got, want)
		}
	})
}

// TestDescriptionDoneAndSkipPhotos: 说完了 goes on to the photos; skipping the photos straight
// from the description (its next question's button) ends the description too.
func TestDescriptionDoneAndSkipPhotos(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.toDescription("d2")
		testenv.MustContain(t, r.press("d2", "complain:desc:said"), "还没有收到内容")
		testenv.MustContain(t, r.photo("d2", "early", 1000), "请先用文字描述")
		r.say("d2", "等了两个小时")
		out := r.press("d2", "complain:desc:said")
		testenv.MustContain(t, out, "如有照片可以发送")

		r.toDescription("d3")
		r.say("d3", "窗口无人")
		out = r.press("d3", "complain:photos:done")
		testenv.MustContain(t, out, "是否实名反映")
	})
}

// TestComplaintButtonStepsAnswerText: text typed at the category, identity and confirmation
// steps is answered with a hint and the choices again.
func TestComplaintButtonStepsAnswerText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("d4", "/complain W001")
		testenv.MustContain(t, r.say("d4", "态度不好"), "请点击下方按钮选择", "问题类别")
		out := r.wechat("d5", "/complain W001")
		testenv.MustContain(t, out, "问题类别")
		testenv.MustContain(t, r.wechat("d5", "态度不好"), "请回复编号", "问题类别")
		if out := r.press("d4", "complain:category:attitude"); testenv.HasButton(last(out), "complain:dup:new") {
			r.press("d4", "complain:dup:new")
		}
		r.say("d4", "态度冷淡")
		r.press("d4", "complain:desc:said")
		r.press("d4", "complain:photos:done")
		testenv.MustContain(t, r.say("d4", "随便"), "请点击下方按钮选择", "是否实名反映")
		r.press("d4", "complain:identity:anonymous")
		testenv.MustContain(t, r.say("d4", "好的"), "请点击下方按钮选择", "请确认")

		// A phone number typed at the real-name question is the answer it asks for.
		r.say("d6", "/complain W002")
		if out := r.press("d6", "complain:category:other"); testenv.HasButton(last(out), "complain:dup:new") {
			r.press("d6", "complain:dup:new")
		}
		r.say("d6", "窗口提前下班")
		r.press("d6", "complain:photos:done")
		testenv.MustContain(t, r.say("d6", "139 1234 5678"), "请确认", "实名，回访电话 139****5678")
	})
}
