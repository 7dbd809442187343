// Package i18n holds Scanboard's translations (zh-CN and en) and picks the locale of a
// request: the user's own choice, then the browser's Accept-Language, then the configured
// default. Components read the localizer from their context with T.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Supported lists the locales, default first.
var Supported = []string{"zh-CN", "en"}

// Bundle is the loaded message catalogue.
type Bundle struct {
	b       *goi18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	locs    map[string]*Localizer // one per supported locale, shared by every request
}

// NewBundle loads the embedded locale files.
func NewBundle() (*Bundle, error) {
	tags := []language.Tag{language.MustParse("zh-CN"), language.English}
	b := goi18n.NewBundle(tags[0])
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	// One file per area and language (base.en.json, login.zh-CN.json …) so each room of the
	// app keeps its own messages; go-i18n reads the language from the file name.
	names, err := fs.Glob(files, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(files, name); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
	}
	bundle := &Bundle{b: b, matcher: language.NewMatcher(tags), tags: tags, locs: map[string]*Localizer{}}
	for _, lang := range Supported {
		bundle.locs[lang] = &Localizer{l: goi18n.NewLocalizer(b, lang), Lang: lang}
	}
	return bundle, nil
}

// Match picks the locale: choice (a cookie the user set) if supported, else the best match
// for the Accept-Language header, else def.
func (b *Bundle) Match(choice, acceptLanguage, def string) string {
	for _, s := range Supported {
		if choice == s {
			return s
		}
	}
	if acceptLanguage != "" {
		prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(prefs) > 0 {
			_, idx, conf := b.matcher.Match(prefs...)
			if conf >= language.High {
				return Supported[idx]
			}
		}
	}
	return def
}

// Localizer translates into one locale. It is safe for concurrent use.
type Localizer struct {
	l    *goi18n.Localizer
	Lang string
	// plain keeps the translations of messages without placeholders: go-i18n matches the
	// language and looks the message up anew on every call, and a page asks for hundreds.
	plain sync.Map // id → string
}

// Localizer returns the localizer for lang; an unsupported lang gets a localizer of its own
// (go-i18n falls back to the default language).
func (b *Bundle) Localizer(lang string) *Localizer {
	if l, ok := b.locs[lang]; ok {
		return l
	}
	return &Localizer{l: goi18n.NewLocalizer(b.b, lang), Lang: lang}
}

// T translates id; data fills {{.Name}} placeholders. A missing id comes back as itself so
// a gap is visible, and the catalogue test keeps gaps from shipping.
func (l *Localizer) T(id string, data ...map[string]any) string {
	if len(data) == 0 || data[0] == nil {
		if s, ok := l.plain.Load(id); ok {
			return s.(string)
		}
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	s, err := l.l.Localize(cfg)
	if err != nil || s == "" {
		return id // not kept: ids from outside the catalogue must not grow the cache
	}
	if cfg.TemplateData == nil {
		l.plain.Store(id, s)
	}
	return s
}

type ctxKey struct{}

// WithLocalizer returns ctx carrying l.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the localizer in ctx, or nil.
func From(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}

// T translates id with the localizer in ctx (the id itself when there is none).
func T(ctx context.Context, id string, data ...map[string]any) string {
	if l := From(ctx); l != nil {
		return l.T(id, data...)
	}
	return id
}

// Lang returns the locale in ctx, or the default.
func Lang(ctx context.Context) string {
	if l := From(ctx); l != nil {
		return l.Lang
	}
	return Supported[0]
}

// Keys returns the message ids of one language across its files, sorted (for the
// completeness test).
func Keys(lang string) ([]string, error) {
	names, err := fs.Glob(files, "locales/*."+lang+".json")
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for k := range m {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}
