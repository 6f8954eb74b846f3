package flows

import (
	"fmt"
	"strings"
)

// Languages the bot speaks. zh-CN is the default: the halls are Chinese.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// NormLang maps a platform or browser language hint to one the bot speaks.
func NormLang(s string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "en") {
		return LangEN
	}
	return LangZH
}

// texts holds every user-facing sentence, zh-CN first. Keys are stable; %s/%d are fmt verbs.
var texts = map[string][2]string{
	"help": {
		"您好！这里是政务服务“好差评”。\n\n" +
			"• 扫描窗口上的二维码，或发送 /rate（评价），即可评价窗口服务；\n" +
			"• /complain（投诉）反映“办不成事”等问题，我们限时核实办理；\n" +
			"• /track（查询）查看您的工单办理进度；\n" +
			"• /rerate（追评）评价整改结果；\n" +
			"• /subscribe（订阅）接收每月“服务之星”和整改公示，/unsubscribe（退订）取消；\n" +
			"• /cancel（取消）随时取消当前操作；/help（帮助）查看本说明。\n\n" +
			"您的评价和反映将用于改进服务，窗口工作人员看不到您的身份。",
		"Hello! This is the government service \"good/bad review\" desk.\n\n" +
			"• Scan the QR code at a window, or send /rate, to rate its service;\n" +
			"• /complain reports a problem (\"could not get it done\"); we look into it within set deadlines;\n" +
			"• /track shows how your tickets are going;\n" +
			"• /rerate gives your verdict on a fix;\n" +
			"• /subscribe brings the monthly service stars and rectification notices, /unsubscribe stops them;\n" +
			"• /cancel stops what you are doing at any time; /help shows this message.\n\n" +
			"Your reviews and reports help improve the service; window staff never see who you are.",
	},
	"btn_rate":        {"评价窗口服务", "Rate a window"},
	"btn_complain":    {"我要反映问题", "Report a problem"},
	"btn_track":       {"查询办理进度", "Track my tickets"},
	"unknown_command": {"抱歉，没有“%s”这个指令。", "Sorry, there is no command \"%s\"."},
	"cancelled":       {"已取消。需要时发送 /rate 重新开始。", "Cancelled. Send /rate whenever you want to start again."},
	"nothing_to_cancel": {
		"当前没有进行中的操作。", "There is nothing to cancel."},
	"expired": {
		"这个对话已超时（长时间未操作），我们重新开始吧。", "This conversation timed out, let's start again."},
	"stale_choice": {
		"这个选项已失效，请按最新的提示操作。", "That option is no longer valid; please follow the latest message."},
	"busy": {"抱歉，系统繁忙，请稍后再试。", "Sorry, the system is busy. Please try again shortly."},
	"not_understood": {
		"抱歉，我没看懂。发送 /rate 评价窗口服务、/complain 反映问题，或 /help 查看说明。",
		"Sorry, I did not understand. Send /rate to rate a window, /complain to report a problem, or /help for help."},

	// rating
	"choose_center": {"请选择办事的服务中心：", "Which service center were you served at?"},
	"choose_window": {"请选择窗口（也可以直接输入海报上的窗口编号）：",
		"Choose the window (or type the window code printed on the poster):"},
	"type_window_code": {"请输入窗口海报上的窗口编号（例如 W001）：",
		"Type the window code printed on the poster (e.g. W001):"},
	"no_windows": {"暂时没有可评价的窗口。", "There are no windows to rate yet."},
	"window_unknown": {"没有找到编号为“%s”的窗口，请核对海报上的编号后重新输入，或发送 /cancel 取消。",
		"There is no window \"%s\". Please check the code on the poster and type it again, or send /cancel."},
	"own_window": {"您是该窗口的工作人员，不能评价自己的窗口。",
		"You work at this window, so you cannot rate it."},
	"already_rated": {"您今天已经评价过“%s”，感谢您的参与！每位群众每个窗口每天可评价一次。",
		"You have already rated \"%s\" today, thank you! Each window can be rated once a day."},
	"already_rated_period": {"您在最近 %d 天内已经评价过“%s”，感谢您的参与！",
		"You have already rated \"%[2]s\" in the last %[1]d days, thank you!"},
	"staff_unknown": {"没有找到工号为“%s”的窗口工作人员，请选择要评价的窗口。",
		"There is no window staff member numbered \"%s\"; please choose the window to rate."},
	"ask_staff": {"您正在评价【%s】。\n请问为您办理业务的工作人员是？",
		"You are rating [%s].\nWho served you at this window?"},
	"btn_staff_skip": {"不确定/跳过", "Not sure / skip"},
	"ask_level":      {"您对【%s】的服务满意吗？请选择：", "How satisfied are you with the service at [%s]?"},
	"ask_level_staff": {"您对【%s】工作人员%s的服务满意吗？请选择：",
		"How satisfied are you with the service of %[2]s at [%[1]s]?"},
	"ask_aspects": {"很抱歉给您带来不好的体验。哪些方面需要改进？（可多选，选好后选择“选好了”）",
		"We are sorry. What went wrong? (choose all that apply, then choose \"Done\")"},
	"ask_aspects_text": {"回复编号可多选（如“1 3”），选好后回复“选好了”。",
		"Reply with numbers (e.g. \"1 3\") to choose, then \"Done\"."},
	"aspects_required": {"请至少选择一项需要改进的方面，再选择“选好了”。",
		"Please choose at least one thing that went wrong, then choose \"Done\"."},
	"btn_done": {"选好了", "Done"},
	"ask_praise": {"感谢肯定！哪些方面让您满意？（可多选，也可以选择“跳过”）",
		"Thank you! What was good? (choose any, or choose \"Skip\")"},
	"btn_skip": {"跳过", "Skip"},
	"ask_comment": {"还有什么想说的吗？请直接输入留言（%d 字以内），或选择“跳过”。",
		"Anything else you want to tell us? Type a comment (up to %d characters), or choose \"Skip\"."},
	"comment_too_long": {"留言太长了（%d 字），请控制在 %d 字以内。",
		"That comment is too long (%d characters); please keep it within %d."},
	// thanks: the window, the staff line (thanks_staff, thanks_staff_gone or empty), the level.
	"thanks":       {"感谢您的评价！已记录：\n窗口：%s%s\n评价：%s", "Thank you! We recorded:\nWindow: %s%s\nRating: %s"},
	"thanks_staff": {"\n工作人员：%s", "\nServed by: %s"},
	"thanks_staff_gone": {"\n（%s 已不在该窗口工作，本次评价只计入窗口。）",
		"\n(%s no longer works at this window, so the rating counts for the window only.)"},
	"thanks_aspects": {"\n需改进：%s", "\nTo improve: %s"},
	"thanks_praise":  {"\n满意之处：%s", "\nWhat was good: %s"},
	"thanks_comment": {"\n留言：%s", "\nComment: %s"},
	"thanks_bad": {"\n\n您的差评将转交服务中心核实处理。",
		"\n\nYour review will be passed to the service center to look into."},
	"list_sep": {"、", ", "},
}

// T returns the sentence for key in lang, formatted with args. A missing key is a bug and shows
// as the key itself, which tests catch.
func T(lang, key string, args ...any) string {
	pair, ok := texts[key]
	if !ok {
		if pair, ok = ticketTexts[key]; !ok {
			if pair, ok = deskTexts[key]; !ok {
				return key
			}
		}
	}
	s := pair[0]
	if lang == LangEN {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
