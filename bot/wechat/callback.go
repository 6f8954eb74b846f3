package wechat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"windowbot/bot"
	"windowbot/internal/text"
)

// How a retried delivery and the first one share the answer (all keys in the shared State, so a
// retry may reach another replica):
//
//   - in:<id>  claimed by the first delivery; later ones are retries.
//   - reply:<id>  the rendered answer, written by the first delivery when the engine is done.
//   - handoff:<id>  set by a retry that waited its whole budget without finding the answer: the
//     first delivery must not rely on its own (abandoned) connection.
//   - out:<id>  claimed before the answer goes out through the customer-service API, and by a
//     retry that answers passively after a hand-over. Exactly one of those wins, and a retry that
//     finds it taken answers "success", so the answer is not sent both ways.
//
// The first delivery writes reply before it reads handoff, and a retry writes handoff before it
// reads reply again, so at least one of them sees the other and the answer is not lost.
const (
	keyIn      = "in:"
	keyReply   = "reply:"
	keyHandoff = "handoff:"
	keyOut     = "out:"
)

// retryPoll is how often a retry looks for the first delivery's answer.
const retryPoll = 50 * time.Millisecond

// maxPassive is the longest text sent as a passive reply (WeChat's limit is 2048 bytes); longer
// answers go out as several customer-service messages.
const maxPassive = 2000

// lateSendTimeout bounds sending an answer that missed the budget through the customer-service API.
const lateSendTimeout = 30 * time.Second

func (a *Adapter) key(kind, id string) string { return "wechat:" + a.opts.AppID + ":" + kind + id }

// refusal is a callback refused before anything changes.
type refusal struct {
	status int
	reason string
}

func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, rf *refusal) {
	// The reason is ours; nothing of the request body is logged.
	a.log.WarnContext(r.Context(), "wechat: callback refused", "status", rf.status, "reason", rf.reason)
	http.Error(w, http.StatusText(rf.status), rf.status)
}

// checkQuery verifies the plain signature and the timestamp window every callback carries.
func (a *Adapter) checkQuery(q url.Values) *refusal {
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("signature")
	if ts == "" || nonce == "" || sig == "" {
		return &refusal{http.StatusBadRequest, "missing timestamp, nonce or signature"}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &refusal{http.StatusBadRequest, "timestamp is not a number"}
	}
	if !validSignature(sig, a.opts.Token, ts, nonce) {
		return &refusal{http.StatusForbidden, "wrong signature"}
	}
	if d := a.now().Sub(time.Unix(sec, 0)).Abs(); d > a.opts.TimestampWindow {
		return &refusal{http.StatusForbidden, "timestamp outside the window"}
	}
	return nil
}

// serveVerify answers the server-verification handshake of the console (服务器配置).
func (a *Adapter) serveVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if rf := a.checkQuery(q); rf != nil {
		a.refuse(w, r, rf)
		return
	}
	echo := q.Get("echostr")
	if echo == "" {
		a.refuse(w, r, &refusal{http.StatusBadRequest, "missing echostr"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, echo)
}

// callback is one authenticated, decoded callback.
type callback struct {
	msg  *message.MixMessage
	safe bool
	id   string // delivery id: msg:<MsgId> or evt:<FromUserName>:<CreateTime>
}

// readCallback authenticates and decodes a POST. A non-nil refusal means nothing may change.
func (a *Adapter) readCallback(w http.ResponseWriter, r *http.Request) (*callback, *refusal) {
	if r.ContentLength > MaxBody {
		return nil, &refusal{http.StatusRequestEntityTooLarge, "body too large"}
	}
	q := r.URL.Query()
	if rf := a.checkQuery(q); rf != nil {
		return nil, rf
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, &refusal{http.StatusRequestEntityTooLarge, "body too large"}
		}
		return nil, &refusal{http.StatusBadRequest, "body unreadable"}
	}
	safe := q.Get("encrypt_type") == "aes"
	plain := body
	switch {
	case a.crypto != nil && safe:
		enc, err := envelope(body)
		if err != nil {
			return nil, &refusal{http.StatusBadRequest, "no encrypted message in the body"}
		}
		if !validSignature(q.Get("msg_signature"), a.opts.Token, q.Get("timestamp"), q.Get("nonce"), enc) {
			return nil, &refusal{http.StatusForbidden, "wrong msg_signature"}
		}
		if plain, err = a.crypto.Decrypt(enc); err != nil {
			return nil, &refusal{http.StatusBadRequest, "message does not decrypt"}
		}
	case a.crypto != nil:
		// A plaintext body is signed by nothing but the query: with a key configured, only safe and
		// compatible mode are accepted, so a replayed query cannot carry a forged body.
		return nil, &refusal{http.StatusBadRequest, "plaintext callback, but an AES key is configured (safe mode)"}
	case safe:
		return nil, &refusal{http.StatusBadRequest, "encrypted callback, but no AES key is configured"}
	}
	msg, err := parseMessage(plain)
	if err != nil {
		return nil, &refusal{http.StatusBadRequest, "body is not a WeChat message"}
	}
	return &callback{msg: msg, safe: safe, id: deliveryID(msg)}, nil
}

// envelope returns the Encrypt field of a safe- or compatible-mode body.
func envelope(body []byte) (string, error) {
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil {
		return "", err
	}
	if env.EncryptedMsg == "" {
		return "", errors.New("empty Encrypt")
	}
	return env.EncryptedMsg, nil
}

// parseMessage decodes a plaintext message and checks the fields every message has.
func parseMessage(b []byte) (*message.MixMessage, error) {
	var m message.MixMessage
	if err := xml.Unmarshal(xmlChars(b), &m); err != nil {
		return nil, err
	}
	if !validOpenID(string(m.FromUserName)) || m.ToUserName == "" || len(m.ToUserName) > 64 || m.MsgType == "" {
		return nil, errors.New("wechat: message without a valid sender, receiver or type")
	}
	return &m, nil
}

// xmlChars drops from an authenticated message the bytes XML does not allow — NUL and other
// control characters, broken UTF-8 — which a user can type into a text message. The parser
// would refuse the whole message for one of them, WeChat would retry it in vain and then tell
// the user the account is out of service; without them the text goes on to be cleaned like any
// other (bot.CleanInbound).
func xmlChars(b []byte) []byte {
	ok := utf8.Valid(b)
	for i := 0; ok && i < len(b); i++ {
		ok = b[i] >= 0x20 || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'
	}
	if ok && !bytes.Contains(b, []byte("\uFFFE")) && !bytes.Contains(b, []byte("\uFFFF")) {
		return b
	}
	return bytes.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, b)
}

// deliveryID is what WeChat keeps the same across retries: MsgId for messages, sender and
// creation time for events (which have no MsgId).
func deliveryID(m *message.MixMessage) string {
	if m.MsgType != message.MsgTypeEvent && m.MsgID != 0 {
		return "msg:" + strconv.FormatInt(m.MsgID, 10)
	}
	return "evt:" + string(m.FromUserName) + ":" + strconv.FormatInt(m.CreateTime, 10)
}

func (a *Adapter) serveCallback(w http.ResponseWriter, r *http.Request) {
	deadline := time.Now().Add(a.opts.ReplyBudget)
	cb, rf := a.readCallback(w, r)
	if rf != nil {
		a.refuse(w, r, rf)
		return
	}
	act, in := a.action(cb.msg)
	ctx := r.Context()
	switch act {
	case actIgnore:
		writeSuccess(w)
		return
	case actUnsubscribe:
		// Idempotent, so a retry may do it again.
		if err := a.opts.Citizens.SetCitizenInactive(ctx, string(bot.WeChat), in.ChatID, true); err != nil {
			a.log.ErrorContext(ctx, "wechat: unsubscribe", "err", err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		writeSuccess(w)
		return
	}
	first, err := a.opts.State.Claim(ctx, a.key(keyIn, cb.id), a.opts.DedupeTTL)
	if err != nil {
		// Answering 503 makes WeChat try again, when the State may be back.
		a.log.ErrorContext(ctx, "wechat: claim delivery", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !first {
		a.serveRetry(w, r, cb, deadline)
		return
	}
	j := &job{ready: make(chan struct{})}
	a.wg.Add(1)
	go a.runFirst(cb, in, act == actSubscribe, j)

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-j.ready:
	case <-timer.C:
	case <-ctx.Done():
	}
	j.mu.Lock()
	text := j.text
	j.gaveUp = true
	j.mu.Unlock()
	if text == "" {
		// Nothing to say, or the answer goes out through the customer-service API.
		writeSuccess(w)
		return
	}
	a.writeText(w, cb, text)
}

// job is the first delivery's work, shared by the callback and the goroutine running the engine.
type job struct {
	mu sync.Mutex
	// gaveUp is set when the callback stops waiting; an answer not handed over by then goes out
	// through the customer-service API.
	gaveUp bool
	text   string        // the passive answer, if the callback is to send it
	ready  chan struct{} // closed when text is final, before the callback gave up
}

// runFirst runs the engine for the first delivery, detached from the callback's request so a slow
// step still finishes, and sends its answer through the customer-service API when the callback
// could not wait for it.
func (a *Adapter) runFirst(cb *callback, in bot.Inbound, subscribe bool, j *job) {
	defer a.wg.Done()
	wctx, wcancel := context.WithTimeout(a.base, a.opts.HandleTimeout)
	text := a.work(wctx, cb, in, subscribe)
	wcancel()
	// The rest gets its own time: a step that used up its timeout still has its answer delivered.
	ctx, cancel := context.WithTimeout(a.base, lateSendTimeout)
	defer cancel()

	j.mu.Lock()
	gaveUp := j.gaveUp
	j.mu.Unlock()
	if gaveUp {
		// The callback already said "success". Take the delivery before publishing the answer, so a
		// retry that finds the answer also finds it taken and does not repeat it.
		won := text != "" && a.claimOut(ctx, cb)
		a.remember(ctx, cb, text)
		if won {
			a.sendLate(ctx, cb, text)
		}
		return
	}
	handoff := a.rememberAndLook(ctx, cb, text)
	j.mu.Lock()
	late := j.gaveUp || handoff || len(text) > maxPassive
	if !j.gaveUp {
		if !late {
			j.text = text
		}
		close(j.ready)
	}
	j.mu.Unlock()
	if late && text != "" && a.claimOut(ctx, cb) {
		a.sendLate(ctx, cb, text)
	}
}

// remember keeps the answer for retries.
func (a *Adapter) remember(ctx context.Context, cb *callback, text string) {
	rec, _ := json.Marshal(storedReply{Text: text})
	if err := a.opts.State.Set(ctx, a.key(keyReply, cb.id), rec, a.opts.DedupeTTL); err != nil {
		a.log.WarnContext(ctx, "wechat: remember answer", "err", err)
	}
}

// setGetter is a State that writes one key and then reads another in one round trip.
type setGetter interface {
	// SetGet stores value under key for ttl, then returns the value under other, or
	// bot.ErrNotFound; setErr is the write's error, getErr the read's.
	SetGet(ctx context.Context, key string, value []byte, ttl time.Duration, other string) (got []byte, setErr, getErr error)
}

// rememberAndLook keeps the answer for retries and then, when there is an answer, reports
// whether a retry handed the delivery over: the write before the read, in one round trip where
// the State can.
func (a *Adapter) rememberAndLook(ctx context.Context, cb *callback, text string) (handoff bool) {
	sg, ok := a.opts.State.(setGetter)
	if !ok || text == "" {
		a.remember(ctx, cb, text)
		if text == "" {
			return false
		}
		_, err := a.opts.State.Get(ctx, a.key(keyHandoff, cb.id))
		return err == nil
	}
	rec, _ := json.Marshal(storedReply{Text: text})
	_, setErr, getErr := sg.SetGet(ctx, a.key(keyReply, cb.id), rec, a.opts.DedupeTTL, a.key(keyHandoff, cb.id))
	if setErr != nil {
		a.log.WarnContext(ctx, "wechat: remember answer", "err", setErr)
	}
	return getErr == nil
}

// claimOut takes the right to deliver the answer other than by the first delivery's own timely
// passive reply.
func (a *Adapter) claimOut(ctx context.Context, cb *callback) bool {
	won, err := a.opts.State.Claim(ctx, a.key(keyOut, cb.id), a.opts.DedupeTTL)
	if err != nil {
		a.log.ErrorContext(ctx, "wechat: claim delivery of the answer", "err", err)
		return false
	}
	return won
}

// storedReply is the answer kept for retries. Text is empty when there was nothing to say.
type storedReply struct {
	Text string `json:"text"`
}

// work hands the message to the engine and renders the answer. It never fails: an error becomes
// an apology the user can act on, so the retry gets that too instead of running the step again.
func (a *Adapter) work(ctx context.Context, cb *callback, in bot.Inbound, subscribe bool) (answer string) {
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "wechat: handler panicked", "panic", fmt.Sprint(p), "msg_type", cb.msg.MsgType)
			answer = text.T(a.lang, "busy")
		}
	}()
	if subscribe {
		if err := a.opts.Citizens.SetCitizenInactive(ctx, string(bot.WeChat), in.ChatID, false); err != nil {
			a.log.WarnContext(ctx, "wechat: mark subscribed", "err", err)
		}
	}
	if in.Photo != nil && in.Photo.Data == nil {
		in.Photo = a.fetchPhoto(ctx, in.Photo.FileID)
	}
	if in.Voice != nil && !in.Spoken && in.Voice.Data == nil {
		in.Voice = a.fetchVoice(ctx, in.Voice)
	}
	replies, err := a.opts.Handler.Handle(ctx, in)
	if err != nil {
		a.log.ErrorContext(ctx, "wechat: handle message", "err", err, "msg_type", cb.msg.MsgType, "event", cb.msg.Event)
		return text.T(a.lang, "busy")
	}
	return render(replies, a.lang)
}

// sendLate delivers an answer through the customer-service API; the caller holds the out claim.
func (a *Adapter) sendLate(ctx context.Context, cb *callback, text string) {
	if err := a.sendCustomer(ctx, string(cb.msg.FromUserName), text); err != nil {
		a.log.ErrorContext(ctx, "wechat: send answer through the customer-service API", "err", err)
	}
}

// serveRetry answers a delivery that was already claimed: with the first delivery's answer when
// it is known by the end of this delivery's budget, else with "success" and a hand-over, so the
// first delivery sends its answer through the customer-service API.
func (a *Adapter) serveRetry(w http.ResponseWriter, r *http.Request, cb *callback, deadline time.Time) {
	ctx := r.Context()
	for {
		if rep, ok := a.storedReply(ctx, cb); ok {
			a.answerRetry(w, r, cb, rep, false)
			return
		}
		wait := min(time.Until(deadline), retryPoll)
		if wait <= 0 {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
	if err := a.opts.State.Set(ctx, a.key(keyHandoff, cb.id), []byte("1"), a.opts.DedupeTTL); err != nil {
		a.log.WarnContext(ctx, "wechat: hand over answer", "err", err)
	}
	if rep, ok := a.storedReply(ctx, cb); ok {
		a.answerRetry(w, r, cb, rep, true)
		return
	}
	writeSuccess(w)
}

func (a *Adapter) storedReply(ctx context.Context, cb *callback) (storedReply, bool) {
	var rep storedReply
	b, err := a.opts.State.Get(ctx, a.key(keyReply, cb.id))
	if err != nil || json.Unmarshal(b, &rep) != nil {
		return rep, false
	}
	return rep, true
}

// answerRetry repeats the first delivery's answer passively unless it went out through the
// customer-service API. After a hand-over (exclusive) the first delivery may be about to send it
// that way, so the retry must win the out claim; otherwise passive answers only compete with
// passive ones, of which WeChat takes one, and a claim would starve a later retry.
func (a *Adapter) answerRetry(w http.ResponseWriter, r *http.Request, cb *callback, rep storedReply, exclusive bool) {
	if rep.Text == "" || len(rep.Text) > maxPassive {
		writeSuccess(w)
		return
	}
	ctx := r.Context()
	if exclusive {
		if !a.claimOut(ctx, cb) {
			writeSuccess(w)
			return
		}
	} else if _, err := a.opts.State.Get(ctx, a.key(keyOut, cb.id)); !errors.Is(err, bot.ErrNotFound) {
		writeSuccess(w) // sent through the customer-service API, or the State cannot tell
		return
	}
	a.writeText(w, cb, rep.Text)
}

// writeSuccess tells WeChat the callback was received and there is no passive reply. Plain
// "success" is right in safe mode too; an encrypted empty message would show as an error.
func writeSuccess(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "success")
}

// writeText sends a passive text reply, encrypted when the callback was.
func (a *Adapter) writeText(w http.ResponseWriter, cb *callback, text string) {
	now := a.now().Unix()
	reply := message.NewText(text)
	reply.SetToUserName(cb.msg.FromUserName)
	reply.SetFromUserName(cb.msg.ToUserName)
	reply.SetCreateTime(now)
	reply.SetMsgType(message.MsgTypeText)
	out, err := xml.Marshal(reply)
	if err == nil && cb.safe {
		out, err = a.seal(out, now)
	}
	if err != nil {
		a.log.Error("wechat: build reply", "err", err)
		writeSuccess(w)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
}

// seal wraps a reply in the safe-mode envelope with a fresh nonce.
func (a *Adapter) seal(plain []byte, now int64) ([]byte, error) {
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	enc, err := a.crypto.Encrypt(random, plain)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now, 10)
	nonce := strconv.FormatUint(uint64(random[0])<<24|uint64(random[1])<<16|uint64(random[2])<<8|uint64(random[3]), 10)
	return xml.Marshal(message.ResponseEncryptedXMLMsg{
		EncryptedMsg: enc,
		MsgSignature: Signature(a.opts.Token, ts, nonce, enc),
		Timestamp:    now,
		Nonce:        nonce,
	})
}
