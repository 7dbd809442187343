package web_test

import (
	"testing"

	"scanboard/app/web"
)

func TestOAUTH07_OpenRedirectCorpus(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/runs/42", "/runs/42"},
		{"/runs?page=2", "/runs?page=2"},
		{"", "/"},
		{"//evil.com", "/"},
		{"/\\evil.com", "/"},
		{"\\/evil.com", "/"},
		{"https:evil.com", "/"},
		{"https://evil.com", "/"},
		{"/%2F%2Fevil.com", "/"},
		{"/%5Cevil.com", "/"},
		{"\t/evil", "/"},
		{"/\r\nLocation: https://evil.com", "/"},
		{"\n//evil.com", "/"},
		{"javascript:alert(1)", "/"},
		{"data:text/html,<script>", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := web.SafeReturn(tt.in); got != tt.want {
				t.Fatalf("SafeReturn(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/", "//evil", "/\\evil", "/%2f", "/a?b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := web.SafeReturn(in)
		if got == "/" {
			return
		}
		if got != in || len(got) < 1 || got[0] != '/' || (len(got) > 1 && (got[1] == '/' || got[1] == '\\')) {
			t.Fatalf("SafeReturn(%q) = %q escapes the site", in, got)
		}
	})
}
