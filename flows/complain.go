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
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// ComplainFlowName is the name of the complaint conversation (the "can't get it done" desk).
const ComplainFlowName = "complain"

// Steps of the complaint conversation.
const (
	cStepCategory = "category"
	cStepDup      = "dup"
	cStepDesc     = "desc"
	cStepPhotos   = "photos"
	cStepIdentity = "identity"
	cStepPhone    = "phone"
	cStepConfirm  = "confirm"
)

// ComplainState is the complaint conversation's part of the session.
type ComplainState struct {
	CenterID    uint    `json:"center_id,omitempty"`
	WindowID    *uint   `json:"window_id,omitempty"`
	Place       string  `json:"place,omitempty"`
	Category    string  `json:"category,omitempty"`
	JoinNo      string  `json:"join_no,omitempty"`
	DupNo       string  `json:"dup_no,omitempty"`
	Description string  `json:"description,omitempty"`
	Photos      []Photo `json:"photos,omitempty"`
	Anonymous   bool    `json:"anonymous,omitempty"`
	Phone       string  `json:"phone,omitempty"`
}

// Photo is a photo kept in a session until the complaint is filed: the platform's file id, or
// for a web upload the state-store key its bytes wait under.
type Photo struct {
	FileID   string `json:"file_id,omitempty"`
	BlobKey  string `json:"blob_key,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// Complain is the complaint conversation: place → category → (join a similar one?) →
// description → photos → real name or anonymous → confirm → ticket number.
type Complain struct {
	store *models.Store
	blobs Blobs
	ttl   time.Duration
}

// Blobs keeps uploaded bytes for a while. flows.State implements it.
type Blobs interface {
	KV
	Delete(ctx context.Context, key string) error
}

// NewComplain returns the complaint flow. blobs holds uploaded photo bytes for up to ttl (the
// session's lifetime) until the complaint is filed.
func NewComplain(store *models.Store, blobs Blobs, ttl time.Duration) *Complain {
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return &Complain{store: store, blobs: blobs, ttl: ttl}
}

var _ Flow = (*Complain)(nil)

// Name implements Flow.
func (f *Complain) Name() string { return ComplainFlowName }

// Start begins a complaint; arg is a window code, or empty to choose.
func (f *Complain) Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	t.Session.Complain = &ComplainState{}
	if arg != "" {
		return f.chooseWindow(ctx, t, arg)
	}
	centers, err := f.store.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	switch len(centers) {
	case 0:
		t.Session.End()
		return []bot.Reply{{Text: t.T("no_windows")}}, nil
	case 1:
		return f.listWindows(ctx, t, &centers[0])
	}
	return askCenter(t, ComplainFlowName, t.T("c_intro"), centers), nil
}

func (f *Complain) listWindows(ctx context.Context, t *Turn, c *models.Center) ([]bot.Reply, error) {
	ws, err := f.store.WindowsOfCenter(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	t.Session.Complain.CenterID = c.ID
	whole := bot.Button{Label: t.T("c_whole_center", "Center", c.Name), Payload: "complain:window:*" + strconv.FormatUint(uint64(c.ID), 10)}
	return askWindow(t, ComplainFlowName, t.T("c_intro")+"\n\n"+t.T("c_choose_window"), ws, whole), nil
}

// Step implements Flow.
func (f *Complain) Step(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := t.Session.Complain
	if st == nil {
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	step, value, isPress := parsePayload(t.In.Payload, ComplainFlowName)
	if isPress && step != t.Session.Step {
		return f.reprompt(ctx, t, t.T("stale_choice"))
	}
	if t.In.Photo != nil && t.Session.Step != cStepPhotos && t.Session.Step != cStepDesc {
		return f.reprompt(ctx, t, t.T("c_photo_later"))
	}
	switch t.Session.Step {
	case stepCenter:
		if isPress {
			c, err := centerByID(ctx, f.store, value)
			if err != nil {
				return nil, fmt.Errorf("flows: complain: %w", err)
			}
			if c == nil {
				return f.reprompt(ctx, t, t.T("stale_choice"))
			}
			return f.listWindows(ctx, t, c)
		}
		return f.chooseWindow(ctx, t, t.In.Text)
	case stepWindow:
		if isPress {
			if id, ok := strings.CutPrefix(value, "*"); ok {
				return f.wholeCenter(ctx, t, id)
			}
			return f.chooseWindow(ctx, t, value)
		}
		return f.chooseWindow(ctx, t, t.In.Text)
	case cStepCategory:
		if !isPress {
			return f.reprompt(ctx, t, "")
		}
		if !models.IsCategory(value) {
			return f.reprompt(ctx, t, t.T("stale_choice"))
		}
		st.Category = value
		return f.offerJoin(ctx, t)
	case cStepDup:
		switch {
		case isPress && value == "join":
			st.JoinNo = st.DupNo
		case isPress && value == "new":
			st.JoinNo = ""
		default:
			return f.reprompt(ctx, t, "")
		}
		return f.askDescription(t), nil
	case cStepDesc:
		if t.In.Photo != nil {
			return []bot.Reply{{Text: t.T("c_desc_first")}}, nil
		}
		if isPress || t.In.Text == "" {
			return f.reprompt(ctx, t, "")
		}
		n := utf8.RuneCountInString(t.In.Text)
		if n > models.MaxDescriptionRunes {
			return []bot.Reply{{Text: t.T("c_desc_too_long", "Len", n, "Max", models.MaxDescriptionRunes)}}, nil
		}
		if strings.HasPrefix(t.In.Text, "/") {
			return f.reprompt(ctx, t, "")
		}
		st.Description = t.In.Text
		return f.askPhotos(t, ""), nil
	case cStepPhotos:
		if t.In.Photo != nil {
			return f.addPhoto(ctx, t)
		}
		if isPress && value == "done" {
			return f.afterPhotos(t), nil
		}
		return f.reprompt(ctx, t, "")
	case cStepIdentity:
		switch {
		case isPress && value == "anonymous":
			st.Anonymous, st.Phone = true, ""
			return f.confirm(t), nil
		case isPress && value == "realname":
			st.Anonymous = false
			t.Session.Goto(cStepPhone)
			t.Session.FreeText = true
			return []bot.Reply{{Text: t.T("c_ask_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}, nil
		}
		return f.reprompt(ctx, t, "")
	case cStepPhone:
		if isPress && value == "anonymous" {
			st.Anonymous, st.Phone = true, ""
			return f.confirm(t), nil
		}
		phone := normPhone(t.In.Text)
		if !models.PhonePattern.MatchString(phone) {
			return []bot.Reply{{Text: t.T("c_bad_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}, nil
		}
		st.Phone = phone
		return f.confirm(t), nil
	case cStepConfirm:
		switch {
		case isPress && value == "submit":
			return f.submit(ctx, t)
		case isPress && value == "cancel":
			return f.finish(ctx, t, t.T("cancelled")), nil
		}
		return f.reprompt(ctx, t, "")
	}
	t.Session.End()
	return []bot.Reply{{Text: t.T("expired")}}, nil
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

func (f *Complain) chooseWindow(ctx context.Context, t *Turn, code string) ([]bot.Reply, error) {
	code = strings.TrimSpace(code)
	w, err := windowByCode(ctx, f.store, code)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	if w == nil {
		return unknownWindow(t, code), nil
	}
	st := t.Session.Complain
	id := w.ID
	st.CenterID, st.WindowID, st.Place = w.CenterID, &id, windowLabel(w)
	return f.askCategory(t), nil
}

func (f *Complain) wholeCenter(ctx context.Context, t *Turn, idText string) ([]bot.Reply, error) {
	c, err := centerByID(ctx, f.store, idText)
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	if c == nil {
		return f.reprompt(ctx, t, t.T("stale_choice"))
	}
	st := t.Session.Complain
	st.CenterID, st.WindowID, st.Place = c.ID, nil, c.Name+" · "+t.T("whole_center")
	return f.askCategory(t), nil
}

func (f *Complain) askCategory(t *Turn) []bot.Reply {
	t.Session.Goto(cStepCategory)
	t.Session.FreeText = false
	var btns []bot.Button
	for _, c := range models.Categories {
		btns = append(btns, bot.Button{Label: text.Category(t.Lang, c), Payload: "complain:category:" + c})
	}
	rows := [][]bot.Button{btns[0:2], btns[2:4], btns[4:6]}
	return []bot.Reply{{Text: t.T("c_ask_category", "Place", t.Session.Complain.Place), Buttons: rows}}
}

// offerJoin looks for an open ticket on the same window and category; if there is one, the
// citizen may add to it instead of filing a duplicate.
func (f *Complain) offerJoin(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := t.Session.Complain
	rules := f.store.TicketRules()
	if rules.DuplicateDays > 0 {
		since := t.Now.AddDate(0, 0, -rules.DuplicateDays)
		dup, err := f.store.SimilarOpenTicket(ctx, st.CenterID, st.WindowID, st.Category, since)
		switch {
		case err == nil:
			st.DupNo = dup.No
			t.Session.Goto(cStepDup)
			t.Session.FreeText = false
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
	return f.askDescription(t), nil
}

func (f *Complain) askDescription(t *Turn) []bot.Reply {
	t.Session.Goto(cStepDesc)
	t.Session.FreeText = true
	return []bot.Reply{{Text: t.T("c_ask_desc", "Max", models.MaxDescriptionRunes)}}
}

func (f *Complain) askPhotos(t *Turn, note string) []bot.Reply {
	t.Session.Goto(cStepPhotos)
	t.Session.FreeText = false
	st := t.Session.Complain
	label := t.T("btn_skip")
	if len(st.Photos) > 0 {
		label = t.T("btn_done")
	}
	question := t.T("c_ask_photos", "Max", models.MaxPhotos)
	if note != "" {
		question = note
	}
	return []bot.Reply{{Text: question, Buttons: [][]bot.Button{{{Label: label, Payload: "complain:photos:done"}}}}}
}

func (f *Complain) addPhoto(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := t.Session.Complain
	p := t.In.Photo
	if len(st.Photos) >= models.MaxPhotos {
		return f.askPhotos(t, t.T("c_photos_full", "Max", models.MaxPhotos)), nil
	}
	if p.Size > models.MaxPhotoBytes || int64(len(p.Data)) > models.MaxPhotoBytes {
		return f.askPhotos(t, t.T("c_photo_too_big", "MB", models.MaxPhotoBytes>>20)), nil
	}
	ph := Photo{FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
	if len(p.Data) > 0 {
		if f.blobs == nil {
			return f.askPhotos(t, t.T("c_photo_unsupported")), nil
		}
		key := "blob:" + randomKey()
		if err := f.blobs.Set(ctx, key, p.Data, f.ttl+5*time.Minute); err != nil {
			return nil, fmt.Errorf("flows: complain: keep photo: %w", err)
		}
		ph.BlobKey, ph.Size = key, int64(len(p.Data))
	} else if p.FileID == "" {
		return f.askPhotos(t, t.T("c_photo_unsupported")), nil
	}
	st.Photos = append(st.Photos, ph)
	if len(st.Photos) == models.MaxPhotos {
		return f.afterPhotos(t), nil
	}
	return f.askPhotos(t, t.T("c_photo_added", "Count", len(st.Photos), "Max", models.MaxPhotos)), nil
}

// afterPhotos asks how the citizen wants to be identified, or goes straight to the summary when
// they are joining a ticket somebody else filed.
func (f *Complain) afterPhotos(t *Turn) []bot.Reply {
	if t.Session.Complain.JoinNo != "" {
		return f.confirm(t)
	}
	t.Session.Goto(cStepIdentity)
	t.Session.FreeText = false
	return []bot.Reply{{Text: t.T("c_ask_identity"), Buttons: bot.Column(
		bot.Button{Label: t.T("c_btn_realname"), Payload: "complain:identity:realname"},
		bot.Button{Label: t.T("c_btn_anonymous"), Payload: "complain:identity:anonymous"},
	)}}
}

func (f *Complain) confirm(t *Turn) []bot.Reply {
	st := t.Session.Complain
	t.Session.Goto(cStepConfirm)
	t.Session.FreeText = false
	var b strings.Builder
	b.WriteString(t.T("c_summary"))
	b.WriteString(t.T("c_sum_place", "Place", st.Place))
	b.WriteString(t.T("c_sum_category", "Category", text.Category(t.Lang, st.Category)))
	b.WriteString(t.T("c_sum_desc", "Description", truncate(st.Description, 200)))
	b.WriteString(t.T("c_sum_photos", "Count", len(st.Photos)))
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

func (f *Complain) submit(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := t.Session.Complain
	photos, err := f.loadPhotos(ctx, t)
	if err != nil {
		return nil, err
	}
	if photos == nil && len(st.Photos) > 0 {
		// The uploads outlived their keep: say so rather than file without them silently.
		st.Photos = nil
		return []bot.Reply{{Text: t.T("c_photos_lost")}, f.confirm(t)[0]}, nil
	}
	rules := f.store.TicketRules()
	if st.JoinNo != "" {
		tk, err := f.store.JoinTicket(ctx, st.JoinNo, t.Citizen.ID, st.Description, photos, t.Now)
		var te *models.TransitionError
		if errors.Is(err, models.ErrBanned) {
			return f.finish(ctx, t, t.T("banned")), nil
		}
		if errors.As(err, &te) || errors.Is(err, models.ErrNotFound) {
			// Closed in the meantime: file it as a new complaint instead.
			st.JoinNo = ""
			return append([]bot.Reply{{Text: t.T("c_join_gone")}}, f.afterPhotos(t)...), nil
		}
		if err != nil {
			return nil, fmt.Errorf("flows: complain: %w", err)
		}
		return f.finish(ctx, t, t.T("c_joined", "No", tk.No)), nil
	}
	tk, err := f.store.CreateComplaint(ctx, models.NewComplaint{
		CitizenID: t.Citizen.ID, CenterID: st.CenterID, WindowID: st.WindowID, Category: st.Category,
		Description: st.Description, Channel: string(t.In.Platform), Anonymous: st.Anonymous,
		Phone: st.Phone, CallbackConsent: st.Phone != "", Photos: photos, At: t.Now,
	})
	if errors.Is(err, models.ErrBanned) {
		return f.finish(ctx, t, t.T("banned")), nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: complain: %w", err)
	}
	msg := t.T("c_filed", "No", tk.No, "Due", dayLabel(t.Lang, tk.CallbackDue, rules.Location()))
	if st.Anonymous {
		msg += t.T("c_filed_anonymous")
	}
	return f.finish(ctx, t, msg+t.T("c_filed_track", "No", tk.No)), nil
}

// loadPhotos turns the session's photos into attachments; nil (with photos in the session)
// means uploaded bytes have expired.
func (f *Complain) loadPhotos(ctx context.Context, t *Turn) ([]models.TicketAttachment, error) {
	st := t.Session.Complain
	var out []models.TicketAttachment
	for _, p := range st.Photos {
		a := models.TicketAttachment{Platform: string(t.In.Platform), FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
		if p.BlobKey != "" {
			data, err := f.blobs.Get(ctx, p.BlobKey)
			if errors.Is(err, ErrNotFound) {
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
func (f *Complain) finish(ctx context.Context, t *Turn, text string) []bot.Reply {
	f.dropBlobs(ctx, t.Session.Complain)
	t.Session.End()
	return []bot.Reply{{Text: text}}
}

// dropBlobs forgets uploaded bytes once they are filed or abandoned; they would expire anyway.
func (f *Complain) dropBlobs(ctx context.Context, st *ComplainState) {
	for _, p := range st.Photos {
		if p.BlobKey != "" && f.blobs != nil {
			_ = f.blobs.Delete(ctx, p.BlobKey)
		}
	}
}

func (f *Complain) reprompt(ctx context.Context, t *Turn, note string) ([]bot.Reply, error) {
	var rs []bot.Reply
	st := t.Session.Complain
	switch t.Session.Step {
	case stepCenter, stepWindow:
		rs = []bot.Reply{{Text: t.T("type_window_code"), Buttons: choicesAsButtons(t.Session.Choices)}}
	case cStepCategory:
		rs = f.askCategory(t)
	case cStepDup:
		rs = []bot.Reply{{Text: t.T("c_dup_again", "No", st.DupNo), Buttons: choicesAsButtons(t.Session.Choices)}}
	case cStepDesc:
		rs = f.askDescription(t)
	case cStepPhotos:
		rs = f.askPhotos(t, "")
	case cStepIdentity:
		rs = f.afterPhotos(t)
	case cStepPhone:
		rs = []bot.Reply{{Text: t.T("c_ask_phone"), Buttons: [][]bot.Button{{{Label: t.T("c_btn_anonymous"), Payload: "complain:phone:anonymous"}}}}}
	case cStepConfirm:
		rs = f.confirm(t)
	default:
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
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
