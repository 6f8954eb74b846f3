package wechat_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"windowbot/bot/wechat"
)

// The official sample of the message encryption (消息加解密 说明/示例).
const (
	sampleToken  = "pamtest"
	sampleAppID  = "wxb11529c136998cb6"
	sampleAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	sampleRandom = "aaaabbbbccccdddd"
	samplePlain  = "我是中文abcd123"
	sampleCipher = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)

func sampleCrypto(t *testing.T) *wechat.Crypto {
	t.Helper()
	c, err := wechat.NewCrypto(sampleAppID, sampleAESKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCryptoOfficialSample(t *testing.T) {
	c := sampleCrypto(t)
	got, err := c.Encrypt([]byte(sampleRandom), []byte(samplePlain))
	if err != nil {
		t.Fatal(err)
	}
	if got != sampleCipher {
		t.Fatalf("Encrypt = %s\nwant      %s", got, sampleCipher)
	}
	plain, err := c.Decrypt(sampleCipher)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != samplePlain {
		t.Fatalf("Decrypt = %q, want %q", plain, samplePlain)
	}
	// The SDK's reference implementation agrees both ways.
	sdk, err := util.EncryptMsg([]byte(sampleRandom), []byte(samplePlain), sampleAppID, sampleAESKey)
	if err != nil || string(sdk) != sampleCipher {
		t.Fatalf("SDK EncryptMsg = %s, %v", sdk, err)
	}
	if _, p, err := util.DecryptMsg(sampleAppID, got, sampleAESKey); err != nil || string(p) != samplePlain {
		t.Fatalf("SDK DecryptMsg = %q, %v", p, err)
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	c := sampleCrypto(t)
	random := []byte("0123456789abcdef")
	// Lengths around the 32-byte padding boundary, including an exact multiple.
	for n := 0; n < 100; n++ {
		msg := bytes.Repeat([]byte{'x'}, n)
		enc, err := c.Encrypt(random, msg)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Decrypt(enc)
		if err != nil || !bytes.Equal(dec, msg) {
			t.Fatalf("n=%d: Decrypt = %q, %v", n, dec, err)
		}
	}
}

func TestCryptoRejects(t *testing.T) {
	c := sampleCrypto(t)
	other, err := wechat.NewCrypto("wx0000000000000000", sampleAESKey)
	if err != nil {
		t.Fatal(err)
	}
	otherApp, _ := other.Encrypt([]byte(sampleRandom), []byte(samplePlain))
	raw, _ := base64.StdEncoding.DecodeString(sampleCipher)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-1] ^= 1 // breaks the padding of the last block
	for name, s := range map[string]string{
		"empty":          "",
		"not base64":     "%%%%",
		"short":          base64.StdEncoding.EncodeToString(raw[:16]),
		"not block size": base64.StdEncoding.EncodeToString(raw[:40]),
		"bad padding":    base64.StdEncoding.EncodeToString(flipped),
		"other app id":   otherApp,
		"zeros":          base64.StdEncoding.EncodeToString(make([]byte, 64)),
	} {
		if _, err := c.Decrypt(s); !errors.Is(err, wechat.ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
	}
	for _, key := range []string{"", "short", strings.Repeat("!", 43)} {
		if _, err := wechat.NewCrypto(sampleAppID, key); err == nil {
			t.Errorf("NewCrypto(%q) accepted", key)
		}
	}
}

func TestSignature(t *testing.T) {
	// sha1 of the sorted parts "1409304348", "pamtest", "xxxxxx" concatenated.
	got := wechat.Signature(sampleToken, "1409304348", "xxxxxx")
	if got != util.Signature("xxxxxx", sampleToken, "1409304348") || len(got) != 40 {
		t.Fatalf("Signature = %s", got)
	}
}
