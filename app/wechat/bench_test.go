package wechat

import (
	"bytes"
	"strings"
	"testing"
)

func BenchmarkParsePlain(b *testing.B) {
	p := newReceiver(b)
	body := []byte(eventXML("subscribe", "qrscene_login:7f3a9c2e", "gQH97zwAAAAAAAAAAS5odHRwOi8v"))
	q := signedQuery(testNow, "n")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := p.Parse(q, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSafe(b *testing.B) {
	p := newReceiver(b)
	q, body := safePush(b, eventXML("SCAN", "login:7f3a9c2e", "gQH97zw"), testAppID)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := p.Parse(q, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectHostile shows how cheap refusing hostile bodies is.
func BenchmarkRejectHostile(b *testing.B) {
	p := newReceiver(b)
	q := signedQuery(testNow, "n")
	bodies := map[string][]byte{
		"billion-laughs": []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><xml>&lol2;</xml>`),
		"deep":           []byte("<xml>" + strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + "</xml>"),
		"huge":           []byte("<xml><Content>" + strings.Repeat("A", 10*DefaultMaxPushBytes) + "</Content></xml>"),
	}
	for name, body := range bodies {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Parse(q, bytes.NewReader(body)); err == nil {
					b.Fatal("hostile body accepted")
				}
			}
		})
	}
}

func BenchmarkDecryptMiniProgramData(b *testing.B) {
	v := loadVectors(b).MiniProgram
	for b.Loop() {
		if _, err := DecryptMiniProgramData(v.AppID, v.SessionKey, v.EncryptedData, v.IV); err != nil {
			b.Fatal(err)
		}
	}
}
