package wechat

import (
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"windowbot/bot"
	"windowbot/models"
)

// action is what a callback calls for.
type action int

const (
	// actIgnore: nothing for the engine (menu links, location reports, delivery receipts).
	actIgnore action = iota
	// actHandle: hand the Inbound to the engine.
	actHandle
	// actSubscribe: a (re-)follow: mark the citizen active again, then hand the Inbound over.
	actSubscribe
	// actUnsubscribe: mark the citizen inactive for pushes; nothing can be said to them any more.
	actUnsubscribe
)

// Scene prefixes of the window QR codes: the scene of window W001 is "w_W001"; a user who follows
// the account by scanning it arrives with "qrscene_w_W001". A staff member's own code has the
// scene "s_<staff no>" (models.StaffLinkPrefix).
const (
	scenePrefix    = "w_"
	newScenePrefix = "qrscene_"
)

// MenuKeys are the CLICK keys of the menu InstallMenu creates, and the commands they stand for.
var MenuKeys = map[string]string{"rate": "/rate", "complain": "/complain", "track": "/track"}

// action maps a WeChat message or event onto what the engine understands. Buttons do not exist on
// WeChat: a choice comes back as typed text, which the engine matches to the offered choices.
func (a *Adapter) action(m *message.MixMessage) (action, bot.Inbound) {
	id := string(m.FromUserName)
	in := bot.Inbound{Platform: bot.WeChat, ChatID: id, UserID: id}
	switch m.MsgType {
	case message.MsgTypeText:
		in.Text = strings.TrimSpace(m.Content)
	case message.MsgTypeImage:
		// Only the MediaId: the image is downloaded by the delivery that handles it (fetchPhoto),
		// not by retries.
		in.Photo = &bot.Media{FileID: m.MediaID}
	case message.MsgTypeLocation:
		in.Location = &bot.Location{Lat: m.LocationX, Lon: m.LocationY}
	case message.MsgTypeVoice:
		// Speech recognition, where the account has it on: the text heard, which the dialog
		// confirms before it becomes a description or a comment. Without it the voice itself,
		// which a complaint keeps (downloaded by the delivery that handles it, fetchVoice).
		in.Text = strings.TrimRight(strings.TrimSpace(m.Recognition), "。.！!？? ")
		in.Spoken = in.Text != ""
		in.Voice = &bot.Media{FileID: m.MediaID, MIMEType: voiceType(m.Format)}
	case message.MsgTypeEvent:
		return eventAction(m, in)
	default:
		// Video, links, files: the step under way asks again for what it needs.
	}
	return actHandle, bot.CleanInbound(in)
}

// voiceType is the MIME type of a WeChat voice message's Format (amr, speex).
func voiceType(format string) string {
	switch strings.ToLower(format) {
	case "amr":
		return "audio/amr"
	case "speex":
		return "audio/speex"
	}
	return "audio/octet-stream"
}

func eventAction(m *message.MixMessage, in bot.Inbound) (action, bot.Inbound) {
	switch m.Event {
	case message.EventSubscribe:
		in.Text = "/start"
		if scene, ok := strings.CutPrefix(m.EventKey, newScenePrefix); ok {
			in.Text = startCommand(scene)
		}
		return actSubscribe, in
	case message.EventScan:
		in.Text = startCommand(m.EventKey)
		return actHandle, in
	case message.EventUnsubscribe:
		return actUnsubscribe, in
	case message.EventClick:
		if cmd, ok := MenuKeys[m.EventKey]; ok {
			in.Text = cmd
			return actHandle, in
		}
	}
	return actIgnore, in
}

// startCommand turns a QR scene into the deep link the router knows ("/start w_W001",
// "/start s_S001"); a scene that is neither a window's nor a staff member's greets instead of
// reaching the engine as arbitrary text.
func startCommand(scene string) string {
	if code, ok := strings.CutPrefix(scene, scenePrefix); ok && models.WindowCodePattern.MatchString(code) {
		return "/start " + scene
	}
	if no, ok := strings.CutPrefix(scene, models.StaffLinkPrefix); ok && models.StaffLinkPattern.MatchString(no) {
		return "/start " + scene
	}
	if token, ok := strings.CutPrefix(scene, models.CaseLinkPrefix); ok && models.CaseTokenPattern.MatchString(token) {
		return "/start " + scene
	}
	return "/start"
}

// CaseScene returns the QR scene string of a case's rating invitation: "c_" and its token.
func CaseScene(token string) string { return models.CaseLinkPrefix + token }

// Scene returns the QR scene string of a window: "w_" and its code.
func Scene(windowCode string) string { return scenePrefix + windowCode }

// StaffScene returns the QR scene string of a staff member: "s_" and their staff number.
func StaffScene(staffNo string) string { return models.StaffLinkPrefix + staffNo }
