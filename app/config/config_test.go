package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL.String() != "http://127.0.0.1:8080" {
		t.Errorf("addr/base = %s %s", c.Addr, c.BaseURL)
	}
	if c.DatabaseURL != "sqlite:data/scanboard.db" || c.RedisURL != "" {
		t.Errorf("db/redis = %q %q", c.DatabaseURL, c.RedisURL)
	}
	if c.SessionIdle != 30*time.Minute || c.SessionAbsolute != 12*time.Hour || c.DefaultLocale != "zh-CN" {
		t.Errorf("session/locale defaults wrong: %+v", c)
	}
	if c.SecureCookies() || c.Production() || !c.Sandbox() {
		t.Error("development defaults must be non-production, plain-cookie, sandboxed")
	}
}

func TestHTTPSBaseURLMakesCookiesSecure(t *testing.T) {
	c, err := Load(env(map[string]string{"MIS_BASE_URL": "https://mis.example.com/"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecureCookies() || c.BaseURL.String() != "https://mis.example.com" {
		t.Fatalf("base %s secure %v", c.BaseURL, c.SecureCookies())
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"addr without port", map[string]string{"MIS_ADDR": "localhost"}, "MIS_ADDR="},
		{"addr bad port", map[string]string{"MIS_ADDR": ":99999"}, "MIS_ADDR="},
		{"db scheme", map[string]string{"MIS_DATABASE_URL": "mysql://x/y"}, "MIS_DATABASE_URL="},
		{"db malformed", map[string]string{"MIS_DATABASE_URL": "postgres://u:secret@%zz/db"}, "MIS_DATABASE_URL="},
		{"redis scheme", map[string]string{"MIS_REDIS_URL": "http://127.0.0.1:6379"}, "MIS_REDIS_URL="},
		{"duration", map[string]string{"MIS_SESSION_IDLE": "forever"}, "MIS_SESSION_IDLE="},
		{"absolute below idle", map[string]string{"MIS_SESSION_IDLE": "2h", "MIS_SESSION_ABSOLUTE": "1h"}, "MIS_SESSION_ABSOLUTE="},
		{"env", map[string]string{"MIS_ENV": "prod"}, "MIS_ENV="},
		{"production needs https", map[string]string{"MIS_ENV": "production", "MIS_WECHAT_OA_APPID": "wx1", "MIS_WECHAT_OA_SECRET": "s", "MIS_WECHAT_OA_TOKEN": "t"}, "MIS_BASE_URL="},
		{"production refuses the sandbox", map[string]string{"MIS_ENV": "production", "MIS_BASE_URL": "https://mis.example.com"}, "MIS_WECHAT_OA_APPID:"},
		{"appid without secret", map[string]string{"MIS_WECHAT_OA_APPID": "wx1"}, "MIS_WECHAT_OA_SECRET:"},
		{"short aes key", map[string]string{"MIS_WECHAT_OA_APPID": "wx1", "MIS_WECHAT_OA_SECRET": "s", "MIS_WECHAT_OA_TOKEN": "t", "MIS_WECHAT_OA_AES_KEY": "abc"}, "MIS_WECHAT_OA_AES_KEY:"},
		{"api base", map[string]string{"MIS_WECHAT_API_BASE": "ftp://x"}, "MIS_WECHAT_API_BASE="},
		{"proxies", map[string]string{"MIS_TRUSTED_PROXIES": "10.0.0.0/8, banana"}, "MIS_TRUSTED_PROXIES="},
		{"locale", map[string]string{"MIS_DEFAULT_LOCALE": "fr"}, "MIS_DEFAULT_LOCALE="},
		{"log level", map[string]string{"MIS_LOG_LEVEL": "loud"}, "MIS_LOG_LEVEL="},
		{"upload size", map[string]string{"MIS_UPLOAD_MAX_BYTES": "lots"}, "MIS_UPLOAD_MAX_BYTES="},
		{"upload size zero", map[string]string{"MIS_UPLOAD_MAX_BYTES": "0"}, "MIS_UPLOAD_MAX_BYTES="},
		{"workers", map[string]string{"MIS_WORKERS": "0"}, "MIS_WORKERS="},
		{"quota bytes", map[string]string{"MIS_UPLOAD_QUOTA_BYTES": "plenty"}, "MIS_UPLOAD_QUOTA_BYTES="},
		{"job timeout", map[string]string{"MIS_JOB_TIMEOUT": "soon"}, "MIS_JOB_TIMEOUT="},
		{"job timeout zero", map[string]string{"MIS_JOB_TIMEOUT": "0s"}, "MIS_JOB_TIMEOUT="},
		{"quota files", map[string]string{"MIS_UPLOAD_QUOTA_FILES": "-1"}, "MIS_UPLOAD_QUOTA_FILES="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line starting with %q", msg, tt.want)
			}
			if strings.Contains(msg, "secret") {
				t.Fatalf("error leaks a password: %q", msg)
			}
		})
	}
}

func TestUploadSettings(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		bytes      int64
		workers    int
		quotaBytes int64
		quotaFiles int
	}{
		{"defaults", nil, 512 << 20, 2, 20 << 30, 10_000},
		{"binary units", map[string]string{"MIS_UPLOAD_MAX_BYTES": "2GiB", "MIS_WORKERS": "8", "MIS_UPLOAD_QUOTA_BYTES": "1TiB"}, 2 << 30, 8, 1 << 40, 10_000},
		{"decimal units", map[string]string{"MIS_UPLOAD_MAX_BYTES": "100MB", "MIS_UPLOAD_QUOTA_FILES": "50"}, 100_000_000, 2, 20 << 30, 50},
		{"plain bytes", map[string]string{"MIS_UPLOAD_MAX_BYTES": "1048576"}, 1 << 20, 2, 20 << 30, 10_000},
		{"quotas off", map[string]string{"MIS_UPLOAD_QUOTA_BYTES": "0", "MIS_UPLOAD_QUOTA_FILES": "0"}, 512 << 20, 2, 0, 0},
		{"quota off with a unit", map[string]string{"MIS_UPLOAD_QUOTA_BYTES": "0B"}, 512 << 20, 2, 0, 10_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.UploadMaxBytes != tt.bytes || c.Workers != tt.workers {
				t.Fatalf("upload max %d workers %d, want %d %d", c.UploadMaxBytes, c.Workers, tt.bytes, tt.workers)
			}
			if c.UploadQuotaBytes != tt.quotaBytes || c.UploadQuotaFiles != tt.quotaFiles {
				t.Fatalf("quotas %d bytes %d files, want %d %d", c.UploadQuotaBytes, c.UploadQuotaFiles, tt.quotaBytes, tt.quotaFiles)
			}
		})
	}
}

func TestJobTimeout(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 30 * time.Minute, "2h": 2 * time.Hour, "90s": 90 * time.Second} {
		c, err := Load(env(map[string]string{"MIS_JOB_TIMEOUT": v}))
		if err != nil || c.JobTimeout != want {
			t.Errorf("MIS_JOB_TIMEOUT=%q: %v, %v; want %v", v, c.JobTimeout, err, want)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(env(map[string]string{"MIS_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.168.1.7/32 ::1/128" {
		t.Fatalf("proxies = %v", got)
	}
}

func TestVarsDocumentEverythingLoadReads(t *testing.T) {
	read := map[string]bool{}
	_, _ = Load(func(k string) string { read[k] = true; return "" })
	documented := map[string]bool{}
	for _, v := range Vars {
		documented[v.Name] = true
	}
	for k := range read {
		if !documented[k] {
			t.Errorf("%s is read but not in Vars (the README table)", k)
		}
	}
	for k := range documented {
		if !read[k] {
			t.Errorf("%s is documented but never read", k)
		}
	}
}

func TestREADMEListsEveryVariable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(raw), "| `"+v.Name+"` |") {
			t.Errorf("%s is not in the README configuration table", v.Name)
		}
	}
}
