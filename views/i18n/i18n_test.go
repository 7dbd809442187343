package i18n

import (
	"context"
	"slices"
	"testing"
)

func TestCataloguesComplete(t *testing.T) {
	zh, err := Keys("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	en, err := Keys("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("%s is in zh-CN but missing from en", k)
		}
	}
	for _, k := range en {
		if !slices.Contains(zh, k) {
			t.Errorf("%s is in en but missing from zh-CN", k)
		}
	}
}

func TestMatch(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, choice, accept, want string
	}{
		{"default", "", "", "zh-CN"},
		{"choice wins", "en", "zh-CN,zh;q=0.9", "en"},
		{"unknown choice ignored", "fr", "en-US,en;q=0.8", "en"},
		{"browser english", "", "en-GB,en;q=0.9", "en"},
		{"browser chinese", "", "zh-TW,zh;q=0.9,en;q=0.5", "zh-CN"},
		{"browser unsupported", "", "de-DE", "zh-CN"},
		{"garbage header", "", ";;;q=x", "zh-CN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Match(tt.choice, tt.accept, "zh-CN"); got != tt.want {
				t.Fatalf("Match = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	b, _ := NewBundle()
	ctx := WithLocalizer(context.Background(), b.Localizer("en"))
	if got := T(ctx, "home.welcome", map[string]any{"Name": "Li Lei"}); got != "Welcome, Li Lei" {
		t.Fatalf("T = %q", got)
	}
	ctx = WithLocalizer(context.Background(), b.Localizer("zh-CN"))
	if got := T(ctx, "nav.home"); got != "首页" {
		t.Fatalf("T zh = %q", got)
	}
	if got := T(ctx, "no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key = %q", got)
	}
}

// TestTranslateKeepsPlainMessages: messages without placeholders are kept per locale, and
// nothing else is: a message with data is rendered each time, an unknown id never kept.
func TestTranslateKeepsPlainMessages(t *testing.T) {
	b, _ := NewBundle()
	en, zh := b.Localizer("en"), b.Localizer("zh-CN")
	if b.Localizer("en") != en {
		t.Fatal("a new localizer per call")
	}
	for range 2 {
		if got := zh.T("nav.home"); got != "首页" {
			t.Fatalf("zh nav.home = %q", got)
		}
		if got := en.T("nav.home"); got == "首页" || got == "nav.home" {
			t.Fatalf("en nav.home = %q", got)
		}
	}
	for _, name := range []string{"Li Lei", "Han Meimei"} {
		if got := en.T("home.welcome", map[string]any{"Name": name}); got != "Welcome, "+name {
			t.Fatalf("T = %q", got)
		}
	}
	for i := range 3 {
		id := "no.such.key." + string(rune('a'+i))
		if got := en.T(id); got != id {
			t.Fatalf("missing key = %q", got)
		}
		if _, kept := en.plain.Load(id); kept {
			t.Fatalf("unknown id %q kept", id)
		}
	}
	if _, kept := en.plain.Load("nav.home"); !kept {
		t.Fatal("plain message not kept")
	}
}
