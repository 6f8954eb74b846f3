package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// ComplainFlowName is the name of the complaint conversation (the "can't get it done" desk).
const ComplainFlowName = "complain"

// Steps of the complaint conversation.
const (
	cStepCategory = "category"
	cStepMatter   = "matter"
	cStepDup      = "dup"
	cStepDesc     = "desc"
	cStepPhotos   = "photos"
	cStepIdentity = "identity"
	cStepPhone    = "phone"
	cStepConfirm  = "confirm"
)

// ComplainState is the complaint conversation's part of the session.
type ComplainState struct {
	CenterID uint   `json:"center_id,omitempty"`
	WindowID *uint  `json:"window_id,omitempty"`
	Place    string `json:"place,omitempty"`
	Category string `json:"category,omitempty"`
	// MatterCode and MatterName are the matter (事项) a complaint about capability names: the
	// one whose materials were not told at once.
	MatterCode  string `json:"matter_code,omitempty"`
	MatterName  string `json:"matter_name,omitempty"`
	JoinNo      string `json:"join_no,omitempty"`
	DupNo       string `json:"dup_no,omitempty"`
	Description string `json:"description,omitempty"`
	// Desc is the description as typed so far, over several messages; Description is set from
	// it when the citizen says they are done (or goes on to the photos).
	Desc      Gathered `json:"desc,omitzero"`
	Photos    []Photo  `json:"photos,omitempty"`
	Anonymous bool     `json:"anonymous,omitempty"`
	Phone     string   `json:"phone,omitempty"`
}

// Photo is a photo kept in a session until the complaint is filed: the platform's file id, or
// for a web upload the state-store key its bytes wait under.
type Photo struct {
	FileID   string `json:"file_id,omitempty"`
	BlobKey  string `json:"blob_key,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// complain is the complaint conversation: place → category → (join a similar one?) →
// description → photos → real name or anonymous → confirm → ticket number.
type complain struct {
	store *models.Store
	blobs Blobs
	ttl   time.Duration
}

// Blobs keeps uploaded bytes for a while. flows.State implements it.
type Blobs interface {
	bot.KV
	Delete(ctx context.Context, key string) error
}

// keepMedia keeps a photo or voice message for the conversation: an upload's bytes in blobs for
// ttl and five minutes more (they outlive the session that names them), otherwise the
// platform's file id. It reports false for what cannot be kept: larger than
// models.MaxPhotoBytes, or neither bytes that blobs can take nor a file id.
func keepMedia(ctx context.Context, blobs Blobs, ttl time.Duration, m *bot.Media) (Photo, bool, error) {
	if m.Size > models.MaxPhotoBytes || int64(len(m.Data)) > models.MaxPhotoBytes {
		return Photo{}, false, nil
	}
	kept := Photo{FileID: m.FileID, MIMEType: m.MIMEType, Size: m.Size}
	switch {
	case len(m.Data) > 0 && blobs != nil:
		key := "blob:" + randomKey()
		if err := blobs.Set(ctx, key, m.Data, ttl+5*time.Minute); err != nil {
			return Photo{}, false, fmt.Errorf("flows: keep upload: %w", err)
		}
		kept.BlobKey, kept.Size = key, int64(len(m.Data))
	case m.FileID == "":
		return Photo{}, false, nil
	}
	return kept, true, nil
}

// NewComplain returns the complaint flow. blobs holds uploaded photo bytes for up to ttl (the
// session's lifetime) until the complaint is filed.
func NewComplain(store *models.Store, blobs Blobs, ttl time.Duration) Flow {
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return Define[ComplainState](ComplainFlowName, &complain{store: store, blobs: blobs, ttl: ttl})
}

// Start begins a complaint; arg is a window code, or empty to choose.
func (f *complain) Start(ctx context.Context, t *Turn, st *ComplainState, arg string) ([]bot.Reply, error) {
	if arg != "" {
		return f.chooseWindow(ctx, t, st, arg)
	}
	return f.choosePlace(ctx, t, st, t.T("c_intro"))
}

// choosePlace offers the centers after intro, or the places of the only one.
func (f *complain) choosePlace(ctx context.Context, t *Turn, st *ComplainState, intro string) ([]bot.Reply, error) {
	return choosePlace(ctx, t, f.store, ComplainFlowName, intro, func(c *models.Center) ([]bot.Reply, error) {
		return f.listWindows(ctx, t, st, c)
	})
}

func (f *complain) listWindows(ctx context.Context, t *Turn, st *ComplainState, c *models.Center) ([]bot.Reply, error) {
	ws, err := f.store.WindowsOfCenter(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	st.CenterID = c.ID
	whole := bot.Button{Label: t.T("c_whole_center", "Center", c.Name), Payload: "complain:window:*" + strconv.FormatUint(uint64(c.ID), 10)}
	return askWindow(t, ComplainFlowName, t.T("c_intro")+"\n\n"+t.T("c_choose_window"), ws, whole), nil
}

// Step implements Steps.
func (f *complain) Step(ctx context.Context, t *Turn, st *ComplainState, in Input) ([]bot.Reply, error) {
	value, isPress := in.Value, in.Pressed
	if t.In.Photo != nil && t.step() != cStepPhotos && t.step() != cStepDesc {
		return f.reprompt(ctx, t, st, t.T("c_photo_later"))
	}
	if t.In.Voice != nil && !t.In.Spoken && f.TakesVoice(t.step()) {
		return f.addVoice(ctx, t, st)
	}
	switch t.step() {
	case stepCenter:
		if isPress && value == placeTypeCode {
			return askCode(ctx, t, f.store, ComplainFlowName)
		}
		if isPress {
			c, err := centerByID(ctx, f.store, value)
			if err != nil {
				return nil, fmt.Errorf("flows: complain: %w", err)
			}
			if c == nil {
				return f.reprompt(ctx, t, st, t.T("stale_choice"))
			}
			return f.listWindows(ctx, t, st, c)
		}
		return f.chooseWindow(ctx, t, st, t.In.Text)
	case stepWindow:
		if isPress {
			if id, ok := strings.CutPrefix(value, "*"); ok {
				return f.wholeCenter(ctx, t, st, id)
			}
			return f.chooseWindow(ctx, t, st, value)
		}
		return f.chooseWindow(ctx, t, st, t.In.Text)
	case stepCode:
		if isPress && value == placeCenters {
			return f.choosePlace(ctx, t, st, "")
		}
		if isPress {
			return f.reprompt(ctx, t, st, t.T("stale_choice"))
		}
		return f.chooseWindow(ctx, t, st, t.In.Text)
	case cStepCategory:
		if !isPress {
			return f.reprompt(ctx, t, st, t.hint())
		}
		if !models.IsCategory(value) {
			return f.reprompt(ctx, t, st, t.T("stale_choice"))
		}
		st.Category = value
		if value == models.CategoryCapability && st.WindowID != nil {
			return f.askMatter(ctx, t, st, "")
		}
		return f.offerJoin(ctx, t, st)
	case cStepMatter:
		if !isPress {
			return f.reprompt(ctx, t, st, t.hint())
		}
		st.MatterCode, st.MatterName = "", ""
		if value != "skip" {
			m, err := f.store.MatterByCode(ctx, value)
			if errors.Is(err, models.ErrNotFound) || (err == nil && (st.WindowID == nil || m.WindowID != *st.WindowID)) {
				return f.reprompt(ctx, t, st, t.T("stale_choice"))
			}
			if err != nil {
				return nil, fmt.Errorf("flows: complain: %w", err)
			}
			st.MatterCode, st.MatterName = m.Code, m.Name
		}
		return f.offerJoin(ctx, t, st)
	case cStepDup:
		switch {
		case isPress && value == "join":
			st.JoinNo = st.DupNo
		case isPress && value == "new":
			st.JoinNo = ""
		default:
			return f.reprompt(ctx, t, st, t.hint())
		}
		return askDescription(t, st), nil
	case cStepDesc:
		return f.describe(ctx, t, st, in)
	case cStepPhotos:
		if t.In.Photo != nil {
			return f.addPhoto(ctx, t, st)
		}
		if isPress && value == "done" {
			return afterPhotos(t, st), nil
		}
		if !isPress && t.In.Text != "" && !strings.HasPrefix(t.In.Text, "/") {
			// More of the description, sent after it was done: added to it, not dropped.
			if ok, n := st.Desc.add(t.In.Text, models.MaxDescriptionRunes); !ok {
				return askPhotos(t, st, t.T("gather_too_long", "Len", n, "Max", models.MaxDescriptionRunes)), nil
			}
			st.Description = st.Desc.Text()
			return askPhotos(t, st, t.T("c_desc_added", "Description", st.Description)), nil
		}
		return f.reprompt(ctx, t, st, t.hint())
	case cStepIdentity:
		switch {
		case isPress && value == "anonymous":
			st.Anonymous, st.Phone = true, ""
			return confirm(t, st), nil
		case isPress && value == "realname":
			st.Anonymous = false
			t.askText(cStepPhone)
			return []bot.Reply{{Text: t.T("c_ask_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}, nil
		case !isPress && models.PhonePattern.MatchString(normPhone(t.In.Text)):
			// A phone number typed straight away answers "real name, and call me here".
			st.Anonymous, st.Phone = false, normPhone(t.In.Text)
			return confirm(t, st), nil
		}
		return f.reprompt(ctx, t, st, t.hint())
	case cStepPhone:
		if isPress && value == "anonymous" {
			st.Anonymous, st.Phone = true, ""
			return confirm(t, st), nil
		}
		phone := normPhone(t.In.Text)
		if !models.PhonePattern.MatchString(phone) {
			return []bot.Reply{{Text: t.T("c_bad_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}, nil
		}
		st.Phone = phone
		return confirm(t, st), nil
	case cStepConfirm:
		switch {
		case isPress && value == "submit":
			return f.submit(ctx, t, st)
		case isPress && value == "cancel":
			out := f.finish(ctx, t, st, t.T("cancelled"))
			out[0].Buttons = StartButtons(t)
			return out, nil
		}
		return f.reprompt(ctx, t, st, t.hint())
	}
	return nil, errExpired
}

func normPhone(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r >= '０' && r <= '９': // full-width digits from a Chinese keyboard
			return '0' + (r - '０')
		case r == ' ' || r == '-':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	return strings.TrimPrefix(s, "+86")
}

func (f *complain) chooseWindow(ctx context.Context, t *Turn, st *ComplainState, code string) ([]bot.Reply, error) {
	code = strings.TrimSpace(code)
	w, err := windowByCode(ctx, f.store, code)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	if w == nil {
		return unknownWindow(t, code, func() ([]bot.Reply, error) { return f.choosePlace(ctx, t, st, "") })
	}
	id := w.ID
	st.CenterID, st.WindowID, st.Place = w.CenterID, &id, w.Place()
	return askCategory(t, st), nil
}

func (f *complain) wholeCenter(ctx context.Context, t *Turn, st *ComplainState, idText string) ([]bot.Reply, error) {
	c, err := centerByID(ctx, f.store, idText)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	if c == nil {
		return f.reprompt(ctx, t, st, t.T("stale_choice"))
	}
	st.CenterID, st.WindowID, st.Place = c.ID, nil, c.Name+" · "+t.T("whole_center")
	return askCategory(t, st), nil
}

func askCategory(t *Turn, st *ComplainState) []bot.Reply {
	t.ask(cStepCategory)
	var btns []bot.Button
	for _, c := range models.Categories {
		btns = append(btns, bot.Button{Label: text.Category(t.Lang, c), Payload: "complain:category:" + c})
	}
	rows := [][]bot.Button{btns[0:2], btns[2:4], btns[4:6]}
	return []bot.Reply{{Text: t.T("c_ask_category", "Place", st.Place), Buttons: rows}}
}

// complainMatters is how many of a window's matters the complaint offers to name.
const complainMatters = 8

// askMatter asks, for a complaint about capability, which of the window's matters it was about
// (materials not told at once, 未一次性告知): the ticket then names the matter. A window without
// matters skips the question.
func (f *complain) askMatter(ctx context.Context, t *Turn, st *ComplainState, note string) ([]bot.Reply, error) {
	ms, err := f.store.MattersOfWindow(ctx, *st.WindowID)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	if len(ms) == 0 {
		return f.offerJoin(ctx, t, st)
	}
	t.ask(cStepMatter)
	var btns []bot.Button
	for _, m := range ms[:min(len(ms), complainMatters)] {
		btns = append(btns, bot.Button{Label: m.Name, Payload: "complain:matter:" + m.Code})
	}
	btns = append(btns, bot.Button{Label: t.T("c_btn_no_matter"), Payload: "complain:matter:skip"})
	return []bot.Reply{{Text: note + t.T("c_ask_matter"), Buttons: bot.Column(btns...)}}, nil
}

// offerJoin looks for an open ticket on the same window and category; if there is one, the
// citizen may add to it instead of filing a duplicate.
func (f *complain) offerJoin(ctx context.Context, t *Turn, st *ComplainState) ([]bot.Reply, error) {
	rules := f.store.TicketRules()
	if rules.DuplicateDays > 0 {
		since := t.Now.AddDate(0, 0, -rules.DuplicateDays)
		dup, err := f.store.SimilarOpenTicket(ctx, st.CenterID, st.WindowID, st.Category, since)
		switch {
		case err == nil:
			st.DupNo = dup.No
			t.ask(cStepDup)
			days := int(t.Now.Sub(dup.CreatedAt).Hours() / 24)
			return []bot.Reply{{
				Text: t.T("c_dup", "No", dup.No, "Days", days, "State", text.State(t.Lang, string(dup.State))),
				Buttons: bot.Column(
					bot.Button{Label: t.T("c_btn_join", "No", dup.No), Payload: "complain:dup:join"},
					bot.Button{Label: t.T("c_btn_new"), Payload: "complain:dup:new"},
				),
			}}, nil
		case !errors.Is(err, models.ErrNotFound):
			return nil, fmt.Errorf("flows: complain: %w", err)
		}
	}
	return askDescription(t, st), nil
}

// descStep is the description question: free text gathered over several messages; the photos
// that follow end it too.
func descStep(t *Turn) Gather {
	return Gather{Flow: ComplainFlowName, Step: cStepDesc, Next: cStepPhotos, Max: models.MaxDescriptionRunes,
		Ask: t.T("c_ask_desc", "Max", models.MaxDescriptionRunes), More: t.T("c_desc_more"), Photo: true}
}

func askDescription(t *Turn, st *ComplainState) []bot.Reply {
	return t.askGather(descStep(t), &st.Desc)
}

// describe takes the description, in as many messages as the citizen sends, until they say
// they are done or answer the photo question: a photo sent, or the photos skipped.
func (f *complain) describe(ctx context.Context, t *Turn, st *ComplainState, in Input) ([]bot.Reply, error) {
	g := descStep(t)
	if !in.Pressed && strings.HasPrefix(t.In.Text, "/") {
		return []bot.Reply{t.gatherAgain(g, &st.Desc)}, nil
	}
	replies, done, handled := t.gather(g, &st.Desc, in)
	if handled && !done {
		return replies, nil
	}
	if st.Desc.Empty() {
		// A photo, or the photos skipped, before any words: the words come first.
		if t.In.Photo != nil {
			return []bot.Reply{{Text: t.T("c_desc_first")}, t.gatherAgain(g, &st.Desc)}, nil
		}
		return []bot.Reply{{Text: t.T("gather_empty")}, t.gatherAgain(g, &st.Desc)}, nil
	}
	st.Description = st.Desc.Text()
	switch {
	case done:
		return askPhotos(t, st, ""), nil
	case t.In.Photo != nil:
		t.ask(cStepPhotos)
		return f.addPhoto(ctx, t, st)
	case in.Pressed && in.Step == cStepPhotos && in.Value == "done":
		return afterPhotos(t, st), nil
	}
	return []bot.Reply{t.gatherAgain(g, &st.Desc)}, nil
}

func askPhotos(t *Turn, st *ComplainState, note string) []bot.Reply {
	t.ask(cStepPhotos)
	label := t.T("btn_skip")
	if len(st.Photos) > 0 {
		label = t.T("btn_done")
	}
	question := t.T("c_ask_photos", "Max", models.MaxPhotos)
	if note != "" {
		question = note
	}
	return []bot.Reply{{Text: question, Buttons: [][]bot.Button{{{Label: label, Payload: "complain:photos:done"}}},
		AcceptsPhoto: len(st.Photos) < models.MaxPhotos}}
}

// TakesVoice implements VoiceTaker: a voice message is kept with the complaint, like a photo,
// from the description on.
func (f *complain) TakesVoice(step string) bool { return step == cStepDesc || step == cStepPhotos }

var _ VoiceTaker = (*complain)(nil)

// addVoice keeps a voice message as an attachment of the complaint, checked like a photo (size,
// count), and asks the step's question again: the words of the description, or more photos.
func (f *complain) addVoice(ctx context.Context, t *Turn, st *ComplainState) ([]bot.Reply, error) {
	again := func(note string) []bot.Reply {
		if t.step() == cStepDesc {
			return []bot.Reply{{Text: note}, t.gatherAgain(descStep(t), &st.Desc)}
		}
		return askPhotos(t, st, note)
	}
	v := t.In.Voice
	switch {
	case len(st.Photos) >= models.MaxPhotos:
		return again(t.T("c_photos_full", "Max", models.MaxPhotos)), nil
	case v.Size > models.MaxPhotoBytes || int64(len(v.Data)) > models.MaxPhotoBytes:
		return again(t.T("c_voice_too_big", "MB", models.MaxPhotoBytes>>20)), nil
	}
	kept, ok, err := keepMedia(ctx, f.blobs, f.ttl, v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return again(t.T("c_voice_unsupported")), nil
	}
	st.Photos = append(st.Photos, kept)
	if t.step() == cStepDesc && st.Desc.Empty() {
		return again(t.T("c_voice_kept_words")), nil
	}
	return again(t.T("c_voice_added", "Count", len(st.Photos), "Max", models.MaxPhotos)), nil
}

func (f *complain) addPhoto(ctx context.Context, t *Turn, st *ComplainState) ([]bot.Reply, error) {
	p := t.In.Photo
	if len(st.Photos) >= models.MaxPhotos {
		return askPhotos(t, st, t.T("c_photos_full", "Max", models.MaxPhotos)), nil
	}
	if p.Size > models.MaxPhotoBytes || int64(len(p.Data)) > models.MaxPhotoBytes {
		return askPhotos(t, st, t.T("c_photo_too_big", "MB", models.MaxPhotoBytes>>20)), nil
	}
	ph, ok, err := keepMedia(ctx, f.blobs, f.ttl, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return askPhotos(t, st, t.T("c_photo_unsupported")), nil
	}
	st.Photos = append(st.Photos, ph)
	if len(st.Photos) == models.MaxPhotos {
		return afterPhotos(t, st), nil
	}
	return askPhotos(t, st, t.T("c_photo_added", "Count", len(st.Photos), "Max", models.MaxPhotos)), nil
}

// afterPhotos asks how the citizen wants to be identified, or goes straight to the summary when
// they are joining a ticket somebody else filed.
func afterPhotos(t *Turn, st *ComplainState) []bot.Reply {
	if st.JoinNo != "" {
		return confirm(t, st)
	}
	t.ask(cStepIdentity)
	return []bot.Reply{{Text: t.T("c_ask_identity"), Buttons: bot.Column(
		bot.Button{Label: t.T("c_btn_realname"), Payload: "complain:identity:realname"},
		bot.Button{Label: t.T("c_btn_anonymous"), Payload: "complain:identity:anonymous"},
	)}}
}

func confirm(t *Turn, st *ComplainState) []bot.Reply {
	t.ask(cStepConfirm)
	var b strings.Builder
	b.WriteString(t.T("c_summary"))
	b.WriteString(t.T("c_sum_place", "Place", st.Place))
	b.WriteString(t.T("c_sum_category", "Category", text.Category(t.Lang, st.Category)))
	if st.MatterName != "" {
		b.WriteString(t.T("c_sum_matter", "Matter", st.MatterName))
	}
	b.WriteString(t.T("c_sum_desc", "Description", models.Truncate(st.Description, 200)))
	voices := 0
	for _, p := range st.Photos {
		if strings.HasPrefix(p.MIMEType, "audio/") {
			voices++
		}
	}
	b.WriteString(t.T("c_sum_photos", "Count", len(st.Photos)-voices))
	if voices > 0 {
		b.WriteString(t.T("c_sum_voices", "Count", voices))
	}
	switch {
	case st.JoinNo != "":
		b.WriteString(t.T("c_sum_join", "No", st.JoinNo))
	case st.Anonymous:
		b.WriteString(t.T("c_sum_anonymous"))
	default:
		b.WriteString(t.T("c_sum_realname", "Phone", models.MaskPhone(st.Phone)))
	}
	submit := t.T("c_btn_submit")
	if st.JoinNo != "" {
		submit = t.T("c_btn_join_submit")
	}
	return []bot.Reply{{Text: b.String(), Buttons: [][]bot.Button{{
		{Label: submit, Payload: "complain:confirm:submit"},
		{Label: t.T("c_btn_cancel"), Payload: "complain:confirm:cancel"},
	}}}}
}

func (f *complain) submit(ctx context.Context, t *Turn, st *ComplainState) ([]bot.Reply, error) {
	photos, err := f.loadPhotos(ctx, t, st)
	if err != nil {
		return nil, err
	}
	if photos == nil && len(st.Photos) > 0 {
		// The uploads outlived their keep: say so rather than file without them silently.
		st.Photos = nil
		return []bot.Reply{{Text: t.T("c_photos_lost")}, confirm(t, st)[0]}, nil
	}
	rules := f.store.TicketRules()
	if st.JoinNo != "" {
		tk, err := f.store.JoinTicket(ctx, st.JoinNo, t.Citizen.ID, st.Description, photos, t.Now)
		var te *models.TransitionError
		if errors.Is(err, models.ErrBanned) {
			return f.finish(ctx, t, st, t.T("banned")), nil
		}
		if errors.As(err, &te) || errors.Is(err, models.ErrNotFound) {
			// Closed in the meantime: file it as a new complaint instead.
			st.JoinNo = ""
			return append([]bot.Reply{{Text: t.T("c_join_gone")}}, afterPhotos(t, st)...), nil
		}
		if err != nil {
			return nil, fmt.Errorf("flows: complain: %w", err)
		}
		return f.finish(ctx, t, st, t.T("c_joined", "No", tk.No)), nil
	}
	tk, err := f.store.CreateComplaint(ctx, models.NewComplaint{
		CitizenID: t.Citizen.ID, CenterID: st.CenterID, WindowID: st.WindowID, Category: st.Category,
		Description: st.Description, Channel: string(t.In.Platform), Anonymous: st.Anonymous,
		Phone: st.Phone, CallbackConsent: st.Phone != "", Photos: photos, At: t.Now, MatterCode: st.MatterCode,
	})
	if errors.Is(err, models.ErrBanned) {
		return f.finish(ctx, t, st, t.T("banned")), nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	msg := t.T("c_filed", "No", tk.No, "Due", dayLabel(t.Lang, tk.CallbackDue, rules.Location()))
	if st.Anonymous {
		msg += t.T("c_filed_anonymous")
	}
	return f.finish(ctx, t, st, msg+t.T("c_filed_track", "No", tk.No)), nil
}

// loadPhotos turns the session's photos into attachments; nil (with photos in the session)
// means uploaded bytes have expired.
func (f *complain) loadPhotos(ctx context.Context, t *Turn, st *ComplainState) ([]models.TicketAttachment, error) {
	var out []models.TicketAttachment
	for _, p := range st.Photos {
		a := models.TicketAttachment{Platform: string(t.In.Platform), FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
		if p.BlobKey != "" {
			data, err := f.blobs.Get(ctx, p.BlobKey)
			if errors.Is(err, bot.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("flows: complain: load photo: %w", err)
			}
			a.Data = data
		}
		out = append(out, a)
	}
	return out, nil
}

// finish ends the conversation with text, forgetting its uploaded photos.
func (f *complain) finish(ctx context.Context, t *Turn, st *ComplainState, text string) []bot.Reply {
	f.dropBlobs(ctx, st)
	t.End()
	return []bot.Reply{{Text: text}}
}

// dropBlobs forgets uploaded bytes once they are filed or abandoned; they would expire anyway.
func (f *complain) dropBlobs(ctx context.Context, st *ComplainState) {
	for _, p := range st.Photos {
		if p.BlobKey != "" && f.blobs != nil {
			_ = f.blobs.Delete(ctx, p.BlobKey)
		}
	}
}

// Ask implements Steps: the current step's question again.
func (f *complain) Ask(ctx context.Context, t *Turn, st *ComplainState) ([]bot.Reply, error) {
	return f.reprompt(ctx, t, st, "")
}

func (f *complain) reprompt(ctx context.Context, t *Turn, st *ComplainState, note string) ([]bot.Reply, error) {
	var rs []bot.Reply
	switch t.step() {
	case stepCenter, stepWindow, stepCode:
		var err error
		if rs, err = placeAgain(ctx, t, f.store, ComplainFlowName, t.T("c_choose_window")); err != nil {
			return nil, err
		}
	case cStepCategory:
		rs = askCategory(t, st)
	case cStepMatter:
		if st.WindowID == nil {
			return nil, errExpired
		}
		return f.askMatter(ctx, t, st, note)
	case cStepDup:
		rs = []bot.Reply{{Text: t.T("c_dup_again", "No", st.DupNo), Buttons: t.choices()}}
	case cStepDesc:
		rs = askDescription(t, st)
	case cStepPhotos:
		rs = askPhotos(t, st, "")
	case cStepIdentity:
		rs = afterPhotos(t, st)
	case cStepPhone:
		rs = []bot.Reply{{Text: t.T("c_ask_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}
	case cStepConfirm:
		rs = confirm(t, st)
	default:
		return nil, errExpired
	}
	if note != "" {
		return append([]bot.Reply{{Text: note}}, rs...), nil
	}
	return rs, nil
}

func randomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
