package jobs

import (
	"fmt"
	"strings"

	"windowbot/models"
)

// texts holds every sentence the jobs send, zh-CN first. %-verbs are fmt's.
var texts = map[string][2]string{
	"star": {"【服务之星】%s %s服务之星：%s（%s）\n满意率 %s，共 %d 条评价。感谢您的优质服务！",
		"[Service star] %s, %s: %s (%s)\nSatisfaction %s over %d ratings. Thank you for the excellent service!"},
	"star_praise": {"群众点赞：", "What citizens said:"},
	"month":       {"%d年%d月", "%[2]s %[1]d"},
	"year":        {"%d年度", "%d"},

	"report_title":     {"【月度好差评报告】%s · %s", "[Monthly report] %s · %s"},
	"yearly_title":     {"【年度十佳/十差窗口】%s · %s", "[Best and worst windows of the year] %s · %s"},
	"all_centers":      {"全部服务中心", "all centers"},
	"summary":          {"评价 %d 条，满意率 %s（目标 %d%%，%s），好评率 %s，差评 %d 条。", "%d ratings, satisfaction %s (target %d%%, %s), good reviews %s, bad reviews %d."},
	"met":              {"已达标", "met"},
	"missed":           {"未达标", "missed"},
	"no_ratings":       {"本期暂无评价。", "No ratings in this period."},
	"top_windows":      {"十佳窗口：", "Best windows:"},
	"bottom_windows":   {"后十位窗口：", "Worst windows:"},
	"top_centers":      {"服务中心排名（前十）：", "Best centers:"},
	"bottom_centers":   {"服务中心排名（后十）：", "Worst centers:"},
	"rank_line":        {"%d. %s %s — 满意率 %s（%d 条）", "%d. %s %s — satisfaction %s (%d ratings)"},
	"too_few":          {"（评价不少于 %d 条的窗口参与排名）", "(windows with at least %d ratings are ranked)"},
	"bad_outcomes":     {"差评工单 %d 件：%s。", "%d bad-review tickets: %s."},
	"outcome_line":     {"%s %d", "%s %d"},
	"inspections":      {"明察暗访 %d 次，平均 %.1f 分。", "%d unannounced inspections, average score %.1f."},
	"inspections_none": {"本月无明察暗访记录。", "No unannounced inspections this month."},
	"yearly_top":       {"祝贺！%s（%s）获评%s十佳窗口（第 %d 名，满意率 %s）。", "Congratulations! %s (%s) is among the best windows of %s (no. %d, satisfaction %s)."},
	"yearly_bottom":    {"%s（%s）位列%s后十位窗口（满意率 %s）。请对照差评逐条整改。", "%s (%s) is among the worst windows of %s (satisfaction %s). Please work through its bad reviews."},

	"deadline_callback": {"回访", "call-back"},
	"deadline_rectify":  {"整改", "rectification"},
	"remind_next":       {"【办理提醒】工单 %s（%s）的%s期限是下一个工作日 %s，请及时处理。", "[Reminder] Ticket %s (%s): the %s deadline is the next working day, %s. Please deal with it in time."},
	"remind_today":      {"【办理提醒】工单 %s（%s）的%s期限是今天 %s，请今天办结。", "[Reminder] Ticket %s (%s): the %s deadline is today, %s. Please finish it today."},
	"overdue_note":      {"已超过%s期限 %d 个工作日", "%[2]d working day(s) past the %[1]s deadline"},

	"digest_title":   {"【每日简报】%s · %s", "[Daily digest] %s · %s"},
	"digest_bad":     {"新增差评 %d 件", "New bad reviews: %d"},
	"digest_overdue": {"超期工单 %d 件", "Overdue tickets: %d"},
	"digest_sat":     {"%s 满意率 %s（%d 条评价）", "Satisfaction on %s: %s (%d ratings)"},
	"digest_no_sat":  {"%s 无评价", "No ratings on %s"},
	"digest_line":    {"· %s %s", "· %s %s"},
	"digest_late":    {"· %s %s 超期 %d 个工作日", "· %s %s, %d working day(s) late"},
	"digest_more":    {"· …另有 %d 件", "· … and %d more"},

	"rerate_remind": {"您反映的问题（工单 %s）已整改完毕，还在等您评价整改结果：请发送 /rerate %s 进行评价。%s 前未评价的，工单将按“未回复”关闭。",
		"Your ticket %s has been dealt with and still waits for your verdict on the fix: send /rerate %s to give it. Without an answer by %s it is closed as \"no reply\"."},
	"rerate_button": {"评价整改结果", "Rate the fix"},
	"whole_center":  {"全中心", "whole center"},
}

// tr returns the text of key in lang with args.
func tr(lang, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	s := t[0]
	if english(lang) {
		s = t[1]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

func english(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }

// percent formats a rate as 96.5%.
func percent(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

// monthName is "2026年10月" or "October 2026".
func monthName(lang string, year int, month int) string {
	if english(lang) {
		return tr(lang, "month", year, monthEN[month-1])
	}
	return tr(lang, "month", year, month)
}

var monthEN = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// closeLabels names the close reasons of a closed bad-review ticket, zh-CN first.
var closeLabels = map[string][2]string{
	models.CloseSatisfied:    {"已关闭（满意）", "closed (satisfied)"},
	models.CloseBasic:        {"已关闭（基本满意）", "closed (basically satisfied)"},
	models.CloseNoReply:      {"已关闭（未回复）", "closed (no reply)"},
	models.CloseRejected:     {"不予受理", "rejected"},
	models.CloseAppealUpheld: {"申诉成立", "appeal upheld"},
}

// outcomeLabel names where a bad-review ticket ended up.
func outcomeLabel(lang string, o models.TicketOutcome) string {
	if l, ok := closeLabels[o.CloseReason]; ok && o.State == models.StateClosed {
		if english(lang) {
			return l[1]
		}
		return l[0]
	}
	return o.State.Label(lang)
}
