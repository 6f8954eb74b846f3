package text

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"windowbot/models"
)

// Every language holds the same keys as the default one.
func TestSameKeysInEveryLanguage(t *testing.T) {
	if err := sameKeys(catalog); err != nil {
		t.Error(err)
	}
	if n := len(catalog.messages[ZH]); n < 400 {
		t.Fatalf("the catalog holds only %d messages: the files did not load", n)
	}
}

// A message has the same fields in every language: a translation may move them, not drop or add
// one.
func TestSameFieldsInEveryLanguage(t *testing.T) {
	if err := sameFields(catalog); err != nil {
		t.Error(err)
	}
}

// Every message renders in every language with a value for each of its fields.
func TestEveryMessageRenders(t *testing.T) {
	for _, lang := range Langs() {
		for key, m := range catalog.messages[lang] {
			var kv []any
			for _, f := range m.fields {
				kv = append(kv, f, "«"+f+"»")
			}
			s, err := catalog.render(lang, key, kv)
			if err != nil || s == "" {
				t.Errorf("%s %s: %q, %v", lang, key, s, err)
				continue
			}
			for _, f := range m.fields {
				if !strings.Contains(s, "«"+f+"»") {
					t.Errorf("%s %s: field %s not shown in %q", lang, key, f, s)
				}
			}
		}
	}
}

// The checks above fail on a catalog that breaks them.
func TestChecksCatchBrokenCatalogs(t *testing.T) {
	files := func(zh, en string) *book {
		t.Helper()
		b, err := load(fstest.MapFS{
			"locales/zh-CN.yaml": {Data: []byte(zh)},
			"locales/en.yaml":    {Data: []byte(en)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := sameKeys(files("a: 甲\nb: 乙\n", "a: A\n")); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("a key missing in en: %v", err)
	}
	if err := sameKeys(files("a: 甲\n", "a: A\nc: C\n")); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("a key only in en: %v", err)
	}
	if err := sameFields(files("a: 工单 {{.No}}\n", "a: Ticket {{.Number}}\n")); err == nil || !strings.Contains(err.Error(), "No") {
		t.Errorf("a renamed field: %v", err)
	}
	if err := sameFields(files("a: 工单 {{.No}}\n", "a: A ticket\n")); err == nil {
		t.Error("a dropped field passed")
	}
	for _, bad := range []string{"a: '{{.No'\n", "a: '{{if .No}}x{{end}}'\n", "a: '{{printf \"%d\" .N}}'\n", "a: '{{.A.B}}'\n"} {
		if _, err := load(fstest.MapFS{"locales/zh-CN.yaml": {Data: []byte(bad)}, "locales/en.yaml": {Data: []byte(bad)}}); err == nil {
			t.Errorf("%q loaded", bad)
		}
	}
}

func sameKeys(b *book) error {
	var errs []string
	for _, lang := range Langs()[1:] {
		for key := range b.messages[ZH] {
			if _, ok := b.messages[lang][key]; !ok {
				errs = append(errs, fmt.Sprintf("%q is missing in %s", key, lang))
			}
		}
		for key := range b.messages[lang] {
			if _, ok := b.messages[ZH][key]; !ok {
				errs = append(errs, fmt.Sprintf("%q in %s is missing in %s", key, lang, ZH))
			}
		}
	}
	return joined(errs)
}

func sameFields(b *book) error {
	var errs []string
	for _, lang := range Langs()[1:] {
		for key, m := range b.messages[ZH] {
			if o, ok := b.messages[lang][key]; ok && !slices.Equal(m.fields, o.fields) {
				errs = append(errs, fmt.Sprintf("%q: fields %v in %s, %v in %s", key, m.fields, ZH, o.fields, lang))
			}
		}
	}
	return joined(errs)
}

func joined(errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(errs)
	return fmt.Errorf("%d problems:\n%s", len(errs), strings.Join(errs, "\n"))
}

func TestT(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		kv        []any
		want      string
	}{
		{ZH, "busy", nil, "抱歉，系统繁忙，请稍后再试。"},
		{EN, "busy", nil, "Sorry, the system is busy. Please try again shortly."},
		{"en-US", "busy", nil, "Sorry, the system is busy. Please try again shortly."},
		{"", "busy", nil, "抱歉，系统繁忙，请稍后再试。"},
		{ZH, "unknown_command", []any{"Command", "/x"}, "抱歉，没有“/x”这个指令。"},
		{EN, "ok_accept", []any{"No", "T1", "Due", "Mon"}, "Ticket T1 is accepted and the citizen told. Fix it by Mon.\nSend /plan T1 PLAN to record the plan."},
		{EN, "already_rated_period", []any{"Days", 7, "Window", "W1"}, `You have already rated "W1" in the last 7 days, thank you!`},
		{ZH, "thanks_staff", []any{"Staff", "张伟"}, "\n工作人员：张伟"},
		{ZH, "help_staff", nil, "\n\n工作人员指令（工单推送和详情下方有按钮可直接操作）：\n/todo 待办工单\n/ticket 工单编号 — 查看工单\n/accept 工单编号 — 受理\n/plan 工单编号 整改方案\n/done 工单编号 整改结果 — 提交督查审核（至少 15 个字；只发“/done 工单编号”可按提示附照片）\n/appeal 工单编号 理由 — 对差评申诉\n/mystats [本月|上月|2026-11] — 我的评价统计和点名我的差评\n/invite [办件编号] [手机号] — 生成办件评价二维码，请群众扫码评价（亮码评价）\n/sendguide 事项名称 — 生成办事指南二维码，群众扫码即可在手机上查看所需材料（一次性告知）\n/unbind 解除绑定"},
		{EN, "overdue_line", []any{"N", 1, "No", "T1", "State", "S", "Place", "P", "Owner", "O", "Due", "D", "Days", 2},
			"1. T1 · S · P\n   Owner: O · due D · 2 working days late"},
	} {
		if got := T(tc.lang, tc.key, tc.kv...); got != tc.want {
			t.Errorf("T(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
}

// A mistake in a lookup panics in tests, and shows a person the Chinese text or the key instead
// of nothing in production.
func TestMistakes(t *testing.T) {
	mistakes := []struct {
		name, lang, key string
		kv              []any
		fallback        string
	}{
		{"unknown key", EN, "no_such_key", nil, "no_such_key"},
		{"missing field", EN, "ticket_unknown", nil, "ticket_unknown"},
		{"odd arguments", EN, "ticket_unknown", []any{"No"}, "ticket_unknown"},
		{"name not a string", EN, "ticket_unknown", []any{1, "T1"}, "ticket_unknown"},
		{"extra field", EN, "ticket_unknown", []any{"No", "T1", "Due", "x"}, `There is no ticket "T1" of yours. Check the number, or send "track" to list yours.`},
		{"fields for a message without", ZH, "busy", []any{"No", "T1"}, "抱歉，系统繁忙，请稍后再试。"},
	}
	for _, tc := range mistakes {
		t.Run(tc.name, func(t *testing.T) {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic in a test binary")
					}
				}()
				T(tc.lang, tc.key, tc.kv...)
			}()
			strict = func() bool { return false }
			defer func() { strict = testing.Testing }()
			if got := T(tc.lang, tc.key, tc.kv...); got != tc.fallback {
				t.Errorf("production fallback %q, want %q", got, tc.fallback)
			}
		})
	}
}

func TestLang(t *testing.T) {
	for hint, want := range map[string]string{
		"": ZH, "zh-CN": ZH, "zh": ZH, "zh-TW": ZH, "fr": ZH, "en": EN, "EN": EN, " en-GB": EN, "en-US,en;q=0.9": EN,
		"english": EN, "zh-CN,en;q=0.8": ZH,
	} {
		if got := Lang(hint); got != want {
			t.Errorf("Lang(%q) = %q, want %q", hint, got, want)
		}
	}
	for tag, want := range map[string]string{
		"zh": ZH, "zh-TW": ZH, "ZH_hans": ZH, "en": EN, "en-GB": EN, " En_us ": EN, "fr": "", "": "", "english": "", "zhx": "",
	} {
		got, ok := Parse(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Parse(%q) = %q, %v, want %q", tag, got, ok, want)
		}
	}
}

func TestDates(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 11, 23, 9, 5, 0, 0, loc)
	for _, tc := range []struct{ got, want string }{
		{Day(ZH, day), "2026年11月23日 周一"},
		{Day(EN, day), "Mon 23 Nov 2026"},
		{Stamp(ZH, day), "11月23日 09:05"},
		{Stamp(EN, day), "23 Nov 09:05"},
		{MonthYear(ZH, 2026, time.October), "2026年10月"},
		{MonthYear(EN, 2026, time.October), "October 2026"},
		{MonthYearShort(EN, 2026, time.October), "Oct 2026"},
		{Year(ZH, 2026), "2026年"},
		{Year(EN, 2026), "2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// Go's own English names agree with the catalog's.
	for d := range 400 {
		at := day.AddDate(0, 0, d)
		if got, want := Day(EN, at), at.Format("Mon 2 Jan 2006"); got != want {
			t.Fatalf("Day(EN) = %q, want %q", got, want)
		}
	}
}

// The national wording of the levels, and a few labels of the catalogues of models.
func TestLabels(t *testing.T) {
	for n, want := range map[int][2]string{
		1: {"非常不满意", "Very dissatisfied"}, 2: {"不满意", "Dissatisfied"}, 3: {"基本满意", "Basically satisfied"},
		4: {"满意", "Satisfied"}, 5: {"非常满意", "Very satisfied"},
	} {
		if zh, en := Level(ZH, n), Level("EN-gb", n); zh != want[0] || en != want[1] {
			t.Errorf("Level(%d) = %q / %q, want %q / %q", n, zh, en, want[0], want[1])
		}
	}
	if zh, en := Aspect(ZH, "conduct.favours"), Aspect(EN, "conduct.favours"); zh != "吃拿卡要" || en != "Asking for favours" {
		t.Errorf("Aspect(conduct.favours) = %q / %q", zh, en)
	}
	if got := Praise(ZH, "one_visit"); got != "一次办成" {
		t.Errorf("Praise(one_visit) = %q", got)
	}
	for _, s := range []string{"submitted", "accepted", "rectifying", "resolved", "closed", "rejected", "appealed", "reopened"} {
		if zh, en := State(ZH, s), State(EN, s); zh == "" || en == "" || zh == en {
			t.Errorf("State(%s) = %q / %q", s, zh, en)
		}
	}
	if got := Category(EN, "not_done"); got != "Could not get it done" {
		t.Errorf("Category(not_done) = %q", got)
	}
	if got := Category(ZH, "nonsense"); got != "nonsense" {
		t.Errorf("an unknown category = %q, want the code", got)
	}
}

func BenchmarkT(b *testing.B) {
	b.Run("no fields", func(b *testing.B) {
		for b.Loop() {
			T(ZH, "busy")
		}
	})
	b.Run("two fields", func(b *testing.B) {
		for b.Loop() {
			T(EN, "c_filed", "No", "T20261123-0042", "Due", "Mon 23 Nov 2026")
		}
	})
	b.Run("day", func(b *testing.B) {
		at := time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)
		for b.Loop() {
			Day(ZH, at)
		}
	})
}

// Every action of the ticket rules has its words for staff and supervisors in every language:
// none falls back to its code.
func TestStaffEventEveryAction(t *testing.T) {
	for _, lang := range Langs() {
		for _, a := range append([]models.Action{models.ActSubmit}, models.Actions...) {
			for _, to := range models.TicketStates {
				if got := StaffEvent(lang, string(a), string(to)); got == string(a) || got == "" {
					t.Errorf("%s: %s to %s has no words", lang, a, to)
				}
			}
		}
	}
}
