package wechat_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/flows/state"
)

// echoHandler answers with what came in, so odd text also travels through rendering and the XML
// of the passive reply.
type echoHandler struct{}

func (echoHandler) Handle(_ context.Context, in bot.Inbound) ([]bot.Reply, error) {
	return []bot.Reply{{Text: in.Text, Buttons: bot.Column(bot.Button{Label: in.Text, Payload: "x"})}}, nil
}

// FuzzCallback feeds arbitrary bodies through the whole callback handler: as a plaintext body
// (mode 0), as the plaintext inside a correctly signed safe-mode envelope (mode 1), and as the
// envelope itself with its Encrypt field signed (mode 2). Whatever comes in, the answer is a
// 2xx with a well-formed reply or a 4xx, never a panic or a 5xx.
func FuzzCallback(f *testing.F) {
	for _, seed := range []string{
		`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[5]]></Content><MsgId>1</MsgId></xml>`,
		`<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>2</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_w_W001</EventKey></xml>`,
		`<xml><Encrypt>AAAA</Encrypt></xml>`,
		`<xml><Content>]]&gt;</Content></xml>`,
	} {
		for mode := byte(0); mode < 3; mode++ {
			f.Add([]byte(seed), mode)
		}
	}
	plain := newFuzzAdapter(f, "")
	safe := newFuzzAdapter(f, sampleAESKey)
	crypto, err := wechat.NewCrypto(testAppID, sampleAESKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		q := url.Values{"timestamp": {ts}, "nonce": {"n"}, "signature": {wechat.Signature(testToken, ts, "n")}}
		body, h := data, plain
		switch mode % 3 {
		case 1:
			enc, err := crypto.Encrypt([]byte("0123456789abcdef"), data)
			if err != nil {
				t.Fatal(err)
			}
			body = []byte("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", wechat.Signature(testToken, ts, "n", enc))
			h = safe
		case 2:
			var env struct {
				Encrypt string `xml:"Encrypt"`
			}
			_ = xml.Unmarshal(data, &env)
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", wechat.Signature(testToken, ts, "n", env.Encrypt))
			h = safe
		}
		req := httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 400 && rec.Code < 500:
			return
		case rec.Code != http.StatusOK:
			t.Fatalf("status %d for %q", rec.Code, data)
		}
		out := rec.Body.Bytes()
		if string(out) == "success" {
			return
		}
		if mode%3 != 0 {
			var env struct {
				Encrypt string `xml:"Encrypt"`
			}
			if err := xml.Unmarshal(out, &env); err != nil {
				t.Fatalf("reply envelope %q: %v", out, err)
			}
			if out, err = crypto.Decrypt(env.Encrypt); err != nil {
				t.Fatalf("reply does not decrypt: %v", err)
			}
		}
		var m struct {
			MsgType string `xml:"MsgType"`
			Content string `xml:"Content"`
		}
		if err := xml.Unmarshal(out, &m); err != nil {
			t.Fatalf("reply %q is not XML: %v", out, err)
		}
		if m.MsgType != "text" || strings.TrimSpace(m.Content) == "" {
			t.Fatalf("reply %q: empty or not text", out)
		}
	})
}

func newFuzzAdapter(f *testing.F, aesKey string) http.Handler {
	a, err := wechat.New(wechat.Options{AppID: testAppID, AppSecret: testSecret, Token: testToken, AESKey: aesKey,
		APIURL: "http://127.0.0.1:9", ReplyBudget: time.Second,
		Handler: echoHandler{}, State: state.NewMemory(nil), Citizens: citizenStore(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close(context.Background()) })
	mux := http.NewServeMux()
	a.Routes(mux)
	return mux
}

// FuzzDecrypt: no ciphertext makes Decrypt panic, and a message it accepts encrypts again to a
// ciphertext that decrypts to the same message.
func FuzzDecrypt(f *testing.F) {
	f.Add(sampleCipher)
	f.Add("")
	f.Add(strings.Repeat("A", 44))
	c, err := wechat.NewCrypto(sampleAppID, sampleAESKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg, err := c.Decrypt(s)
		if err != nil {
			return
		}
		enc, err := c.Encrypt(make([]byte, 16), msg)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := c.Decrypt(enc); err != nil || !bytes.Equal(again, msg) {
			t.Fatalf("re-encrypted %q decrypts to %q, %v", msg, again, err)
		}
	})
}
