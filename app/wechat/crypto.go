package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Signature is WeChat's push signature: the lowercase hex SHA-1 of the parts
// sorted and joined without separator. With (token, timestamp, nonce) it is
// the `signature` query parameter; adding the Encrypt text (or an encrypted
// echostr) gives `msg_signature`.
func Signature(parts ...string) string {
	sorted := slices.Clone(parts)
	slices.Sort(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// signatureEqual compares a received signature in constant time.
func signatureEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// EncodingAESKeyLen is the length of an OA's EncodingAESKey.
const EncodingAESKeyLen = 43

// ParseEncodingAESKey decodes the 43-character EncodingAESKey into the 32-byte AES key.
func ParseEncodingAESKey(s string) ([]byte, error) {
	if len(s) != EncodingAESKeyLen {
		return nil, fmt.Errorf("%w: EncodingAESKey must be %d characters, got %d", ErrInvalidArgument, EncodingAESKeyLen, len(s))
	}
	key, err := base64.StdEncoding.DecodeString(s + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: EncodingAESKey is not valid base64 of 32 bytes", ErrInvalidArgument)
	}
	return key, nil
}

// pushBlockSize is the PKCS#7 block of push crypto: 32 bytes, not AES's 16.
const pushBlockSize = 32

// EncryptMessage encrypts msg for a safe-mode push or reply:
// base64(AES-256-CBC(random16 ‖ uint32be(len) ‖ msg ‖ appID)), IV = key[:16],
// PKCS#7 to 32 bytes. random supplies the 16 random bytes (nil means crypto/rand;
// tests pass a fixed reader to reproduce published vectors).
func EncryptMessage(key []byte, appID string, msg []byte, random io.Reader) (string, error) {
	if len(key) != 32 {
		return "", fmt.Errorf("%w: AES key must be 32 bytes", ErrInvalidArgument)
	}
	if random == nil {
		random = rand.Reader
	}
	plain := make([]byte, 20, 20+len(msg)+len(appID)+pushBlockSize)
	if _, err := io.ReadFull(random, plain[:16]); err != nil {
		return "", fmt.Errorf("wechat: reading random bytes: %w", err)
	}
	binary.BigEndian.PutUint32(plain[16:20], uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, appID...)
	pad := pushBlockSize - len(plain)%pushBlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecryptMessage reverses EncryptMessage and checks that the trailing id
// equals appID (the OA appid, or the corpid for WeCom). It returns the message
// and fails with ErrDecrypt or ErrAppIDMismatch.
func DecryptMessage(key []byte, appID, encrypted string) ([]byte, error) {
	msg, gotID, err := decryptMessage(key, encrypted)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(gotID), []byte(appID)) != 1 {
		return nil, fmt.Errorf("%w: message is for %q, expected %q", ErrAppIDMismatch, gotID, appID)
	}
	return msg, nil
}

func decryptMessage(key []byte, encrypted string) (msg []byte, appID string, err error) {
	if len(key) != 32 {
		return nil, "", fmt.Errorf("%w: AES key must be 32 bytes", ErrInvalidArgument)
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encrypted))
	if err != nil {
		return nil, "", fmt.Errorf("%w: ciphertext is not base64", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, "", fmt.Errorf("%w: ciphertext length %d is not a positive multiple of 16", ErrDecrypt, len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, "", err
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, ct)
	plain, err = unpad(plain, pushBlockSize)
	if err != nil {
		return nil, "", err
	}
	if len(plain) < 20 {
		return nil, "", fmt.Errorf("%w: plaintext too short", ErrDecrypt)
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, "", fmt.Errorf("%w: length prefix %d exceeds the plaintext", ErrDecrypt, n)
	}
	return plain[20 : 20+n], string(plain[20+n:]), nil
}

// unpad strips PKCS#7 padding of the given block size, checking every pad byte.
func unpad(b []byte, blockSize int) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty plaintext", ErrDecrypt)
	}
	p := int(b[len(b)-1])
	if p < 1 || p > blockSize || p > len(b) {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	for _, v := range b[len(b)-p:] {
		if int(v) != p {
			return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
		}
	}
	return b[:len(b)-p], nil
}

// HMACSHA256Hex is the lowercase hex HMAC-SHA256 of msg keyed by key, used by
// Mini Program login-state signatures. The key is the session_key text
// exactly as received (its base64 characters), not the decoded bytes.
func HMACSHA256Hex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckSessionSignature is the signature wxa/checksession expects: the HMAC of
// the empty string keyed by the session key.
func CheckSessionSignature(sessionKey string) string {
	return HMACSHA256Hex(sessionKey, "")
}
