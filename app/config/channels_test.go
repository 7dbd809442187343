package config

import (
	"strings"
	"testing"
)

func TestChannels(t *testing.T) {
	real := map[string]string{"MIS_WECHAT_OA_APPID": "wx1", "MIS_WECHAT_OA_SECRET": "s", "MIS_WECHAT_OA_TOKEN": "t", "MIS_PHONE_POLICY": "off"}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range real {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantQR  string
		wantErr string
	}{
		{"sandbox defaults to the OA QR", nil, "oa", ""},
		{"sandbox may choose the website QR", map[string]string{"MIS_LOGIN_QR": "website"}, "website", ""},
		{"auto picks the website app when configured", with(map[string]string{"MIS_WECHAT_WEBSITE_APPID": "wxweb", "MIS_WECHAT_WEBSITE_SECRET": "s"}), "website", ""},
		{"auto without it is the OA QR", with(nil), "oa", ""},
		{"oa may be forced", with(map[string]string{"MIS_LOGIN_QR": "oa", "MIS_WECHAT_WEBSITE_APPID": "wxweb", "MIS_WECHAT_WEBSITE_SECRET": "s"}), "oa", ""},
		{"website without its app", with(map[string]string{"MIS_LOGIN_QR": "website"}), "", "MIS_LOGIN_QR="},
		{"unknown QR", map[string]string{"MIS_LOGIN_QR": "both"}, "", "MIS_LOGIN_QR="},
		{"website appid without secret", map[string]string{"MIS_WECHAT_WEBSITE_APPID": "wxweb"}, "", "MIS_WECHAT_WEBSITE_SECRET:"},
		{"mp appid without secret", map[string]string{"MIS_WECHAT_MP_APPID": "wxmp"}, "", "MIS_WECHAT_MP_SECRET:"},
		{"wecom without agent", map[string]string{"MIS_WECOM_CORPID": "ww1", "MIS_WECOM_SECRET": "s"}, "", "MIS_WECOM_SECRET:"},
		{"key ttl too long", map[string]string{"MIS_MP_LOGIN_KEY_TTL": "9999h"}, "", "MIS_MP_LOGIN_KEY_TTL="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Channels.QR != tt.wantQR {
				t.Fatalf("QR %q, want %q", c.Channels.QR, tt.wantQR)
			}
		})
	}
}
