package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// Signature is the SHA-1 signature WeChat puts on callbacks: the hex digest of the parts sorted
// and concatenated. Plain callbacks sign (token, timestamp, nonce); safe-mode bodies add the
// encrypted message for msg_signature.
func Signature(parts ...string) string { return util.Signature(parts...) }

// validSignature compares in constant time, so the signature cannot be guessed byte by byte.
func validSignature(got string, parts ...string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(Signature(parts...))) == 1
}

// cryptoBlock is the PKCS#7 block size of WeChat's message encryption: 32 bytes, not AES's 16.
const cryptoBlock = 32

// Crypto encrypts and decrypts safe-mode (AES) messages of one official account:
// base64(AES-256-CBC(key, iv = key[:16], random(16) ‖ len(msg) as 4 bytes big-endian ‖ msg ‖ AppID)),
// padded with PKCS#7 to 32 bytes. It is safe for concurrent use.
type Crypto struct {
	appID string
	key   []byte
	block cipher.Block
}

// ErrDecrypt is returned for every message that does not decrypt to a well-formed payload of this
// account: bad base64, wrong length, bad padding, a length field out of range, another AppID.
// The reasons are not told apart on purpose (no padding oracle).
var ErrDecrypt = errors.New("wechat: message does not decrypt")

// NewCrypto returns the cipher of the account appID with the 43-character EncodingAESKey.
func NewCrypto(appID, encodingAESKey string) (*Crypto, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wechat: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: EncodingAESKey is not valid base64 of 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wechat: EncodingAESKey: %w", err)
	}
	return &Crypto{appID: appID, key: key, block: block}, nil
}

// Encrypt returns the base64 ciphertext of msg with the 16-byte random prefix random.
func (c *Crypto) Encrypt(random, msg []byte) (string, error) {
	if len(random) != 16 {
		return "", fmt.Errorf("wechat: encrypt: random must be 16 bytes, got %d", len(random))
	}
	n := 20 + len(msg) + len(c.appID)
	pad := cryptoBlock - n%cryptoBlock
	buf := make([]byte, n+pad)
	copy(buf, random)
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(msg)))
	copy(buf[20:], msg)
	copy(buf[20+len(msg):], c.appID)
	for i := n; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt returns the message inside the base64 ciphertext s, or ErrDecrypt.
func (c *Crypto) Decrypt(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) < cryptoBlock || len(raw)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(raw, raw)
	pad := int(raw[len(raw)-1])
	if pad < 1 || pad > cryptoBlock || pad > len(raw) {
		return nil, ErrDecrypt
	}
	for _, b := range raw[len(raw)-pad:] {
		if int(b) != pad {
			return nil, ErrDecrypt
		}
	}
	raw = raw[:len(raw)-pad]
	if len(raw) < 20 {
		return nil, ErrDecrypt
	}
	n := binary.BigEndian.Uint32(raw[16:20])
	if uint64(n) > uint64(len(raw)-20) {
		return nil, ErrDecrypt
	}
	msg, appID := raw[20:20+n], raw[20+n:]
	if subtle.ConstantTimeCompare(appID, []byte(c.appID)) != 1 {
		return nil, ErrDecrypt
	}
	return msg, nil
}
