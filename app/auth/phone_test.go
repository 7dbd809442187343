package auth_test

import (
	"testing"

	"scanboard/app/auth"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800001234", "+8613800001234"},
		{"138 0000 1234", "+8613800001234"},
		{"+86 138-0000-1234", "+8613800001234"},
		{"0086 13800001234", "+8613800001234"},
		{"8613800001234", "+8613800001234"},
		{"+1 415 555 2671", "+14155552671"},
		{"12800001234", ""}, // 12x is not a mobile prefix
		{"1380000123", ""},
		{"+86 1380000123", ""},
		{"abc", ""},
		{"", ""},
		{"+0123456789", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := auth.NormalizePhone(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizePhone(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseUserAgent(t *testing.T) {
	tests := []struct {
		name, ua string
		device   auth.Device
		browser  string
	}{
		{"chrome on windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Safari/537.36", auth.DeviceDesktop, "Chrome 126"},
		{"wechat on android", "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64", auth.DeviceWeChat, "WeChat 8"},
		{"safari on iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", auth.DeviceMobile, "Safari 17"},
		{"empty", "", auth.DeviceDesktop, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := auth.ParseUserAgent(tt.ua)
			if got.Device != tt.device || got.Browser != tt.browser {
				t.Fatalf("ParseUserAgent = %+v, want device %s browser %q", got, tt.device, tt.browser)
			}
		})
	}
}
