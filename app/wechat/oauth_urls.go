package wechat

import (
	"fmt"
	"net/url"
	"strings"
)

// Scope is an OAuth scope of WeChat's authorize pages.
type Scope string

// The scopes Scanboard uses.
const (
	// ScopeLogin is the website-app QR login scope (qrconnect).
	ScopeLogin Scope = "snsapi_login"
	// ScopeBase is the silent OA web OAuth scope: openid (and unionid if bound) only.
	ScopeBase Scope = "snsapi_base"
	// ScopeUserInfo is the OA web OAuth scope with a consent page; /sns/userinfo works afterwards.
	ScopeUserInfo Scope = "snsapi_userinfo"
)

// MaxStateLen is WeChat's limit on the OAuth state parameter, in bytes.
const MaxStateLen = 128

// ValidateState checks an OAuth state: present (it is the CSRF defence), at
// most MaxStateLen bytes (WeChat shows "state 参数过长" otherwise) and made of
// URL-safe characters [A-Za-z0-9._~-], so it survives WeChat's round trip unchanged.
func ValidateState(state string) error {
	if state == "" {
		return fmt.Errorf("%w: OAuth state is empty; it is required as the CSRF defence", ErrInvalidArgument)
	}
	if len(state) > MaxStateLen {
		return fmt.Errorf("%w: OAuth state is %d bytes; WeChat accepts at most %d", ErrInvalidArgument, len(state), MaxStateLen)
	}
	for i := 0; i < len(state); i++ {
		if !isUnreserved(state[i]) {
			return fmt.Errorf("%w: OAuth state contains %q at byte %d; use only A-Z a-z 0-9 . _ ~ -", ErrInvalidArgument, state[i], i)
		}
	}
	return nil
}

func isUnreserved(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '.' || b == '_' || b == '~'
}

// validateRedirect requires an absolute http(s) URL; WeChat compares its host
// with the registered callback domain.
func validateRedirect(redirectURI string) error {
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: redirect_uri %q is not an absolute http(s) URL", ErrInvalidArgument, redirectURI)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%w: redirect_uri must not carry a #fragment", ErrInvalidArgument)
	}
	return nil
}

// QRConnectURL builds the full-page website QR login URL (Open Platform
// website app, scope snsapi_login). After the user confirms, WeChat redirects to
// redirectURI?code=CODE&state=STATE; a refusal arrives with state and no code.
func (c *Client) QRConnectURL(redirectURI, state string) (string, error) {
	if err := validateRedirect(redirectURI); err != nil {
		return "", err
	}
	if err := ValidateState(state); err != nil {
		return "", err
	}
	q := orderedQuery{
		{"appid", c.appID},
		{"redirect_uri", redirectURI},
		{"response_type", "code"},
		{"scope", string(ScopeLogin)},
		{"state", state},
	}
	return c.t.ep.Open + "/connect/qrconnect?" + q.encode() + "#wechat_redirect", nil
}

// AuthorizeURL builds the Official Account web OAuth URL, to be opened inside
// WeChat's browser. scope is ScopeBase (silent) or ScopeUserInfo (consent).
func (c *Client) AuthorizeURL(redirectURI string, scope Scope, state string) (string, error) {
	if scope != ScopeBase && scope != ScopeUserInfo {
		return "", fmt.Errorf("%w: OA web OAuth scope must be snsapi_base or snsapi_userinfo, not %q", ErrInvalidArgument, scope)
	}
	if err := validateRedirect(redirectURI); err != nil {
		return "", err
	}
	if err := ValidateState(state); err != nil {
		return "", err
	}
	q := orderedQuery{
		{"appid", c.appID},
		{"redirect_uri", redirectURI},
		{"response_type", "code"},
		{"scope", string(scope)},
		{"state", state},
	}
	// WeChat requires the #wechat_redirect fragment on this page.
	return c.t.ep.Open + "/connect/oauth2/authorize?" + q.encode() + "#wechat_redirect", nil
}

// InlineQRStyle holds the presentation options of the inline QR (wxLogin.js).
type InlineQRStyle struct {
	// SelfRedirect navigates inside the iframe after confirmation instead of the top window.
	SelfRedirect bool
	// Style is the text colour under the QR: "black" (default) or "white".
	Style string
	// Href is a CSS URL (or data:text/css;base64,…) restyling the panel.
	Href string
	// StyleLite selects WeChat's compact style (href is then ignored).
	StyleLite bool
	// DisableFastLogin turns off one-click confirmation in a logged-in desktop WeChat.
	DisableFastLogin bool
}

// WxLoginOptions is the object passed to `new WxLogin({...})` on the login page
// (render it with json.Marshal or templ.JSONScript). RedirectURI is already
// URL-encoded, as wxLogin.js expects.
type WxLoginOptions struct {
	SelfRedirect bool   `json:"self_redirect"`
	ID           string `json:"id"`
	AppID        string `json:"appid"`
	Scope        string `json:"scope"`
	RedirectURI  string `json:"redirect_uri"`
	State        string `json:"state"`
	Style        string `json:"style,omitempty"`
	Href         string `json:"href,omitempty"`
	StyleLite    int    `json:"stylelite,omitempty"`
	FastLogin    *int   `json:"fast_login,omitempty"`
}

// InlineQR is what the login page needs to embed the website QR: either load
// ScriptURL and call `new WxLogin(Options)`, or put IframeURL in an iframe
// (300×400 px, allow="local-network-access") without the third-party script.
type InlineQR struct {
	ScriptURL string
	Options   WxLoginOptions
	IframeURL string
}

// InlineQR builds the inline website QR for the element with id containerID.
func (c *Client) InlineQR(containerID, redirectURI, state string, style InlineQRStyle) (*InlineQR, error) {
	if containerID == "" {
		return nil, fmt.Errorf("%w: inline QR needs the container element id", ErrInvalidArgument)
	}
	if err := validateRedirect(redirectURI); err != nil {
		return nil, err
	}
	if err := ValidateState(state); err != nil {
		return nil, err
	}
	if style.Style != "" && style.Style != "black" && style.Style != "white" {
		return nil, fmt.Errorf("%w: inline QR style must be black or white, not %q", ErrInvalidArgument, style.Style)
	}
	opts := WxLoginOptions{
		SelfRedirect: style.SelfRedirect,
		ID:           containerID,
		AppID:        c.appID,
		Scope:        string(ScopeLogin),
		RedirectURI:  url.QueryEscape(redirectURI),
		State:        state,
		Style:        style.Style,
		Href:         style.Href,
	}
	if style.StyleLite {
		opts.StyleLite = 1
	}
	if style.DisableFastLogin {
		zero := 0
		opts.FastLogin = &zero
	}
	selfRedirect := "false"
	if style.SelfRedirect {
		selfRedirect = "true"
	}
	colour := style.Style
	if colour == "" {
		colour = "black"
	}
	// The same parameters wxLogin.js puts on its iframe; login_type=jssdk makes
	// WeChat render the embeddable panel.
	q := orderedQuery{
		{"appid", c.appID},
		{"scope", string(ScopeLogin)},
		{"redirect_uri", redirectURI},
		{"state", state},
		{"login_type", "jssdk"},
		{"self_redirect", selfRedirect},
		{"style", colour},
		{"href", style.Href},
	}
	if style.StyleLite {
		q = append(q, [2]string{"stylelite", "1"})
	}
	if style.DisableFastLogin {
		q = append(q, [2]string{"fast_login", "0"})
	}
	return &InlineQR{
		ScriptURL: c.t.ep.Res + "/connect/zh_CN/htmledition/js/wxLogin.js",
		Options:   opts,
		IframeURL: c.t.ep.Open + "/connect/qrconnect?" + q.encode(),
	}, nil
}

// orderedQuery encodes parameters in the order WeChat documents them, which
// keeps URLs readable and comparable with the docs.
type orderedQuery [][2]string

func (q orderedQuery) encode() string {
	var b strings.Builder
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}
