package wechatsandbox

// The sandbox's own implementation of WeChat's message and Mini Program crypto, written
// independently of app/wechat so that the published vectors cross-check two implementations.

import (
	"bytes"
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
	"errors"
	"fmt"
	"sort"
	"strings"
)

// signature is WeChat's push signature: hex(sha1(concat(sort(parts)))). With three parts
// (token, timestamp, nonce) it is the query "signature"; with the Encrypt value as a fourth
// part it is "msg_signature".
func signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// equalSig compares two hex signatures in constant time.
func equalSig(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// aesKey decodes a 43-character EncodingAESKey into its 32-byte AES key.
func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// msgBlock is the PKCS#7 block size WeChat uses for push messages (not AES's 16).
const msgBlock = 32

// encryptMsg seals msg for appid in WeChat's safe-mode layout:
// random(16) | uint32be(len) | msg | appid, PKCS#7 to 32 bytes, AES-256-CBC with iv = key[:16].
// random may be nil (fresh bytes are drawn) or exactly 16 bytes (for the vectors).
func encryptMsg(key []byte, random []byte, msg, appid string) (string, error) {
	if random == nil {
		random = make([]byte, 16)
		if _, err := rand.Read(random); err != nil {
			return "", err
		}
	}
	if len(random) != 16 {
		return "", errors.New("random prefix must be 16 bytes")
	}
	var buf bytes.Buffer
	buf.Write(random)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.WriteString(msg)
	buf.WriteString(appid)
	plain := pkcs7Pad(buf.Bytes(), msgBlock)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// errDecrypt is returned for every decryption failure, so a caller cannot tell padding errors
// from length errors (no padding oracle).
var errDecrypt = errors.New("decryption failed: bad key, corrupted ciphertext or wrong padding")

// decryptMsg opens a safe-mode Encrypt value and returns the message and the trailing app id.
func decryptMsg(key []byte, encrypted string) (msg, appid string, err error) {
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", "", errDecrypt
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", "", err
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, ct)
	plain, ok := pkcs7Unpad(plain, msgBlock)
	if !ok || len(plain) < 20 {
		return "", "", errDecrypt
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return "", "", errDecrypt
	}
	return string(plain[20 : 20+n]), string(plain[20+n:]), nil
}

// pkcs7Pad pads to a multiple of size; an aligned input gets a full block of padding.
func pkcs7Pad(b []byte, size int) []byte {
	n := size - len(b)%size
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// pkcs7Unpad strips padding of 1..size bytes, checking every pad byte.
func pkcs7Unpad(b []byte, size int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > size || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// encryptMini seals Mini Program user data: AES-128-CBC with the decoded session key and a
// 16-byte iv, PKCS#7 to 16 bytes, everything base64.
func encryptMini(sessionKey string, iv []byte, plain []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return "", errors.New("session_key must be base64 of 16 bytes")
	}
	if len(iv) != aes.BlockSize {
		return "", errors.New("iv must be 16 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	padded := pkcs7Pad(append([]byte(nil), plain...), aes.BlockSize)
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return base64.StdEncoding.EncodeToString(out), nil
}

// decryptMini opens Mini Program encryptedData (used by tests and the vectors).
func decryptMini(sessionKey, ivB64, data string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return nil, errDecrypt
	}
	iv, err := base64.StdEncoding.DecodeString(ivB64)
	if err != nil || len(iv) != aes.BlockSize {
		return nil, errDecrypt
	}
	ct, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errDecrypt
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	plain, ok := pkcs7Unpad(plain, aes.BlockSize)
	if !ok {
		return nil, errDecrypt
	}
	return plain, nil
}

// sessionSignature is checksession's signature: the HMAC key is the session_key text as
// received (its base64 characters), not the decoded bytes.
func sessionSignature(sessionKey, message string) string {
	m := hmac.New(sha256.New, []byte(sessionKey))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}
