package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png" // photos sent are checked to be images
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeAPI is a Bot API server speaking the real wire format: POST /bot<token>/<method> with
// multipart/form-data (what the library sends) or a url-encoded form, answered with
// {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…}.
type fakeAPI struct {
	t        testing.TB
	token    string
	username string
	srv      *httptest.Server

	mu       sync.Mutex
	updates  []map[string]any // queued, each with "update_id"
	nextUpd  int64
	nextMsg  int
	messages map[string]*fakeMessage // by chat:message_id
	fileIDs  map[string]bool         // file_ids of the photos uploaded
	calls    []apiCall
	failures map[string][]apiFailure // method → errors to return next, in order
	wake     chan struct{}
}

type fakeMessage struct {
	Chat   int64
	ID     int
	Text   string
	Markup string
}

// apiCall is one request the fake received.
type apiCall struct {
	Method      string
	ContentType string
	Params      map[string]string
	// MsgID is the id of the message a successful sendMessage created.
	MsgID int
	// Photo and PhotoName are the file uploaded in the multipart field "photo" of sendPhoto;
	// a photo sent by file_id has Params["photo"] instead.
	Photo     []byte
	PhotoName string
}

// apiFailure is an error answer queued for a method.
type apiFailure struct {
	Code       int
	Desc       string
	RetryAfter int
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{
		t: t, token: "123456:TEST-token_" + strconv.FormatInt(time.Now().UnixNano(), 36), username: "WindowTestBot",
		messages: map[string]*fakeMessage{}, fileIDs: map[string]bool{}, failures: map[string][]apiFailure{}, wake: make(chan struct{}),
		nextUpd: 1000,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// fail makes the next call of method answer with an error.
func (f *fakeAPI) fail(method string, e apiFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[method] = append(f.failures[method], e)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+f.token+"/")
	if r.Method != http.MethodPost || !ok || strings.Contains(method, "/") {
		writeAPI(w, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	switch {
	case len(body) == 0:
		// Methods without parameters (getMe) come as an empty body, which the Bot API accepts.
		r.Form = url.Values{}
	case ct == "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
			return
		}
	case ct == "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
			return
		}
	}
	params := map[string]string{}
	for k, v := range r.Form {
		params[k] = v[0]
	}
	call := apiCall{Method: method, ContentType: ct, Params: params}
	if r.MultipartForm != nil && len(r.MultipartForm.File["photo"]) > 0 {
		fh := r.MultipartForm.File["photo"][0]
		if file, err := fh.Open(); err == nil {
			call.Photo, _ = io.ReadAll(file)
			call.PhotoName = fh.Filename
			file.Close()
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	callIdx := len(f.calls) - 1
	f.notifyLocked()
	if q := f.failures[method]; len(q) > 0 {
		e := q[0]
		f.failures[method] = q[1:]
		f.mu.Unlock()
		body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Desc}
		if e.RetryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": e.RetryAfter}
		}
		writeAPI(w, body)
		return
	}
	f.mu.Unlock()

	switch method {
	case "getMe":
		ok200(w, map[string]any{"id": 123456, "is_bot": true, "first_name": "Window Bot", "username": f.username})
	case "getUpdates":
		f.getUpdates(w, r, params)
	case "sendMessage":
		chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
		if chat == 0 || strings.TrimSpace(params["text"]) == "" {
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: message text is empty"})
			return
		}
		if desc := checkMarkup(params["reply_markup"]); desc != "" {
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": desc})
			return
		}
		f.mu.Lock()
		f.nextMsg++
		m := &fakeMessage{Chat: chat, ID: f.nextMsg, Text: params["text"], Markup: params["reply_markup"]}
		f.messages[msgKey(chat, m.ID)] = m
		f.calls[callIdx].MsgID = m.ID
		f.mu.Unlock()
		ok200(w, m.wire())
	case "sendPhoto":
		f.sendPhoto(w, callIdx, params)
	case "editMessageText":
		chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
		id, _ := strconv.Atoi(params["message_id"])
		f.mu.Lock()
		m := f.messages[msgKey(chat, id)]
		switch {
		case m == nil:
			f.mu.Unlock()
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: message to edit not found"})
			return
		case m.Text == params["text"] && m.Markup == params["reply_markup"]:
			f.mu.Unlock()
			writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"})
			return
		}
		m.Text, m.Markup = params["text"], params["reply_markup"]
		wire := m.wire()
		f.mu.Unlock()
		ok200(w, wire)
	case "answerCallbackQuery", "setWebhook", "deleteWebhook":
		ok200(w, true)
	default:
		writeAPI(w, map[string]any{"ok": false, "error_code": 404, "description": "Not Found: method " + method})
	}
}

// sendPhoto answers as the Bot API does: a photo uploaded as a file (it must be an image) or
// named by the file_id of an earlier upload, a caption of at most 1024 characters.
func (f *fakeAPI) sendPhoto(w http.ResponseWriter, callIdx int, params map[string]string) {
	chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
	bad := func(desc string) {
		writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + desc})
	}
	f.mu.Lock()
	call := f.calls[callIdx]
	known := f.fileIDs[params["photo"]]
	f.mu.Unlock()
	switch {
	case chat == 0:
		bad("chat not found")
		return
	case utf8.RuneCountInString(params["caption"]) > 1024:
		bad("message caption is too long")
		return
	case call.Photo == nil && !known:
		bad("wrong file identifier/HTTP URL specified")
		return
	case call.Photo != nil:
		if _, _, err := image.DecodeConfig(bytes.NewReader(call.Photo)); err != nil {
			bad("IMAGE_PROCESS_FAILED")
			return
		}
	}
	if desc := checkMarkup(params["reply_markup"]); desc != "" {
		writeAPI(w, map[string]any{"ok": false, "error_code": 400, "description": desc})
		return
	}
	f.mu.Lock()
	f.nextMsg++
	id := f.nextMsg
	fileID := params["photo"]
	if call.Photo != nil {
		fileID = fmt.Sprintf("AgACphoto%d", id)
		f.fileIDs[fileID] = true
	}
	f.calls[callIdx].MsgID = id
	f.mu.Unlock()
	ok200(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"},
		"caption": params["caption"], "photo": []any{
			map[string]any{"file_id": fileID + "-s", "file_unique_id": "u1", "width": 90, "height": 120},
			map[string]any{"file_id": fileID, "file_unique_id": "u2", "width": 1080, "height": 1440},
		}})
}

// forgetPhotos makes every file_id unknown, as for a bot whose uploads Telegram no longer has.
func (f *fakeAPI) forgetPhotos() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.fileIDs)
}

func (m *fakeMessage) wire() map[string]any {
	return map[string]any{"message_id": m.ID, "date": time.Now().Unix(), "chat": map[string]any{"id": m.Chat, "type": "private"}, "text": m.Text}
}

func msgKey(chat int64, id int) string { return fmt.Sprintf("%d:%d", chat, id) }

// getUpdates answers what is queued from offset on, or waits up to timeout seconds for it.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, params map[string]string) {
	offset, _ := strconv.ParseInt(params["offset"], 10, 64)
	timeout, _ := strconv.Atoi(params["timeout"])
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		f.mu.Lock()
		// Updates before offset are confirmed: Telegram forgets them.
		var out []map[string]any
		kept := f.updates[:0]
		for _, u := range f.updates {
			if u["update_id"].(int64) >= offset {
				kept = append(kept, u)
				out = append(out, u)
			}
		}
		f.updates = kept
		wake := f.wake
		f.mu.Unlock()
		if len(out) > 0 {
			ok200(w, out)
			return
		}
		select {
		case <-wake:
		case <-deadline:
			ok200(w, []any{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeAPI) notifyLocked() {
	close(f.wake)
	f.wake = make(chan struct{})
}

// push queues an update for getUpdates and returns its update_id.
func (f *fakeAPI) push(upd map[string]any) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextUpd++
	upd["update_id"] = f.nextUpd
	f.updates = append(f.updates, upd)
	f.notifyLocked()
	return f.nextUpd
}

// since returns the calls made after the first n, leaving out getUpdates.
func (f *fakeAPI) since(n int) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls[n:] {
		if c.Method != "getUpdates" {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeAPI) message(chat int64, id int) fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.messages[msgKey(chat, id)]; m != nil {
		return *m
	}
	return fakeMessage{}
}

func writeAPI(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	if code, ok := body["error_code"].(int); ok {
		w.WriteHeader(code)
	}
	_ = json.NewEncoder(w).Encode(body)
}

func ok200(w http.ResponseWriter, result any) {
	writeAPI(w, map[string]any{"ok": true, "result": result})
}

// tgUser is a Telegram user in a private chat with the bot (chat id = user id).
type tgUser struct {
	ID   int64
	Lang string
}

func (u tgUser) from() map[string]any {
	return map[string]any{"id": u.ID, "is_bot": false, "first_name": "张", "last_name": "三", "language_code": u.Lang}
}

func (u tgUser) chat() map[string]any {
	return map[string]any{"id": u.ID, "type": "private", "first_name": "张"}
}

var nextIncoming = struct {
	sync.Mutex
	n int
}{n: 5000}

func incomingID() int {
	nextIncoming.Lock()
	defer nextIncoming.Unlock()
	nextIncoming.n++
	return nextIncoming.n
}

// textUpdate is a message the user typed.
func (u tgUser) textUpdate(text string) map[string]any {
	msg := map[string]any{"message_id": incomingID(), "date": time.Now().Unix(), "chat": u.chat(), "from": u.from(), "text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": len(cmd)}}
	}
	return map[string]any{"message": msg}
}

// pressUpdate is a press on a button with data under the bot's message msgID.
func (u tgUser) pressUpdate(msgID int, data string) map[string]any {
	return map[string]any{"callback_query": map[string]any{
		"id": "cq" + strconv.Itoa(incomingID()), "from": u.from(), "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": msgID, "date": time.Now().Unix(), "chat": u.chat(), "text": "…"},
	}}
}

// photoUpdate is a photo with a caption, in the three sizes Telegram sends.
// voiceUpdate is a voice note of size bytes.
func (u tgUser) voiceUpdate(size int64) map[string]any {
	return map[string]any{"message": map[string]any{
		"message_id": incomingID(), "date": time.Now().Unix(), "chat": u.chat(), "from": u.from(),
		"voice": map[string]any{"file_id": "voice-1", "file_unique_id": "v", "duration": 7, "mime_type": "audio/ogg", "file_size": size},
	}}
}

func (u tgUser) photoUpdate(caption string) map[string]any {
	return map[string]any{"message": map[string]any{
		"message_id": incomingID(), "date": time.Now().Unix(), "chat": u.chat(), "from": u.from(), "caption": caption,
		"photo": []any{
			map[string]any{"file_id": "small", "file_unique_id": "a", "width": 90, "height": 67, "file_size": 1200},
			map[string]any{"file_id": "large", "file_unique_id": "c", "width": 1280, "height": 960, "file_size": 98000},
			map[string]any{"file_id": "medium", "file_unique_id": "b", "width": 320, "height": 240, "file_size": 15000},
		},
	}}
}

// keyboard decodes a reply_markup parameter into rows of (label, callback_data).
func keyboard(t *testing.T, markup string) [][][2]string {
	t.Helper()
	if markup == "" {
		return nil
	}
	var m struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		t.Fatalf("reply_markup %q: %v", markup, err)
	}
	var rows [][][2]string
	for _, r := range m.InlineKeyboard {
		var row [][2]string
		for _, b := range r {
			row = append(row, [2]string{b.Text, b.CallbackData})
		}
		rows = append(rows, row)
	}
	return rows
}

// checkMarkup refuses what Telegram refuses in an inline keyboard: a button that is neither a
// callback nor anything else, callback data outside 1-64 bytes, and an empty copy_text.
func checkMarkup(markup string) string {
	if markup == "" {
		return ""
	}
	var m struct {
		InlineKeyboard [][]map[string]any `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		return "Bad Request: can't parse reply keyboard markup JSON object"
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if ct, ok := b["copy_text"].(map[string]any); ok && ct["text"] == "" {
				return "Bad Request: BUTTON_COPY_TEXT_INVALID"
			}
			data, _ := b["callback_data"].(string)
			if len(data) < 1 || len(data) > 64 {
				return "Bad Request: BUTTON_DATA_INVALID"
			}
			if text, _ := b["text"].(string); strings.TrimSpace(text) == "" {
				return "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
			}
		}
	}
	return ""
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
