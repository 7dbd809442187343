package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// UserToken is a user's OAuth token from sns/oauth2 (not the app access token).
type UserToken struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	// Scope is comma-separated as WeChat sends it (a trailing comma has been seen).
	Scope   string `json:"scope"`
	UnionID string `json:"unionid,omitempty"`
	// IsSnapshotUser is true for a snapshot-page virtual user (OA only).
	IsSnapshotUser bool `json:"-"`
}

type userTokenWire struct {
	UserToken
	IsSnapshotUser flexInt `json:"is_snapshotuser"`
}

// Scopes splits Scope, dropping empty items.
func (t *UserToken) Scopes() []Scope {
	var out []Scope
	for s := range strings.SplitSeq(t.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, Scope(s))
		}
	}
	return out
}

// RequireRealUser returns ErrSnapshotUser for a snapshot-page virtual user, for
// whom no account may be created or bound.
func (t *UserToken) RequireRealUser() error {
	if t.IsSnapshotUser {
		return fmt.Errorf("%w: openid %s", ErrSnapshotUser, t.OpenID)
	}
	return nil
}

// LogValue keeps tokens out of logs.
func (t *UserToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("openid", t.OpenID),
		slog.String("unionid", t.UnionID),
		slog.String("scope", t.Scope),
		slog.Bool("snapshot", t.IsSnapshotUser),
		slog.String("access_token", redact(t.AccessToken)),
		slog.String("refresh_token", redact(t.RefreshToken)),
	)
}

// String keeps tokens out of printed values.
func (t *UserToken) String() string {
	return fmt.Sprintf("wechat.UserToken{OpenID:%s UnionID:%s Scope:%s Snapshot:%t AccessToken:%s}",
		t.OpenID, t.UnionID, t.Scope, t.IsSnapshotUser, redact(t.AccessToken))
}

func decodeUserToken(op string, status int, body []byte) (*UserToken, error) {
	var w userTokenWire
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.AccessToken == "" || w.OpenID == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: access_token or openid missing", ErrMalformedResponse)}
	}
	t := w.UserToken
	t.IsSnapshotUser = w.IsSnapshotUser == 1
	return &t, nil
}

// ExchangeCode trades an authorization code from the callback for the user's
// token (sns/oauth2/access_token). A code works once: a second exchange fails
// with CodeCodeUsed (40163), an unknown or expired one with CodeInvalidCode
// (40029) or CodeCodeExpired (42003); IsInvalidCode covers all of them.
// Check IsSnapshotUser (or RequireRealUser) before creating an account.
func (c *Client) ExchangeCode(ctx context.Context, code string) (*UserToken, error) {
	const op = "sns/oauth2/access_token"
	if code == "" {
		return nil, fmt.Errorf("%w: authorization code is empty (the user may have refused)", ErrInvalidArgument)
	}
	q := url.Values{"appid": {c.appID}, "secret": {c.secret}, "code": {code}, "grant_type": {"authorization_code"}}
	return c.userTokenCall(ctx, op, "/sns/oauth2/access_token", q)
}

// RefreshUserToken extends a user's token with its refresh token
// (sns/oauth2/refresh_token). Refresh tokens live 30 days and are not renewed.
func (c *Client) RefreshUserToken(ctx context.Context, refreshToken string) (*UserToken, error) {
	const op = "sns/oauth2/refresh_token"
	if refreshToken == "" {
		return nil, fmt.Errorf("%w: refresh token is empty", ErrInvalidArgument)
	}
	q := url.Values{"appid": {c.appID}, "grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	return c.userTokenCall(ctx, op, "/sns/oauth2/refresh_token", q)
}

func (c *Client) userTokenCall(ctx context.Context, op, path string, q url.Values) (*UserToken, error) {
	return getJSON(ctx, &c.t, op, c.t.ep.API, path, q, decodeUserToken)
}

// ValidateUserToken asks sns/auth whether a user's token is still valid for
// openid. An invalid, expired or mismatched token is (false, nil); other
// failures (network, busy) are errors.
func (c *Client) ValidateUserToken(ctx context.Context, accessToken, openID string) (bool, error) {
	q := url.Values{"access_token": {accessToken}, "openid": {openID}}
	_, err := getJSON(ctx, &c.t, "sns/auth", c.t.ep.API, "/sns/auth", q, decodeOK)
	switch {
	case err == nil:
		return true, nil
	case IsTokenInvalid(err), ErrCodeOf(err) == int(CodeInvalidOpenID):
		return false, nil
	default:
		return false, err
	}
}

// Lang selects the language of user info fields.
type Lang string

// Languages accepted by WeChat's user-info calls.
const (
	LangZhCN Lang = "zh_CN"
	LangZhTW Lang = "zh_TW"
	LangEN   Lang = "en"
)

// UserInfo is a user's profile from sns/userinfo. Since late 2021 WeChat blanks
// sex, province, city and country; nickname and avatar remain for snsapi_userinfo.
type UserInfo struct {
	OpenID     string   `json:"openid"`
	Nickname   string   `json:"nickname"`
	Sex        int      `json:"-"`
	Province   string   `json:"province"`
	City       string   `json:"city"`
	Country    string   `json:"country"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
	UnionID    string   `json:"unionid,omitempty"`
	Language   string   `json:"language,omitempty"`
}

type userInfoWire struct {
	UserInfo
	Sex flexInt `json:"sex"`
}

func decodeUserInfo(op string, status int, body []byte) (*UserInfo, error) {
	var w userInfoWire
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.OpenID == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: openid missing", ErrMalformedResponse)}
	}
	u := w.UserInfo
	u.Sex = int(w.Sex)
	return &u, nil
}

// UserInfo fetches the profile of the user who granted accessToken
// (sns/userinfo). A snsapi_base token fails with CodeAPIUnauthorized (48001),
// as do snapshot-user tokens. An empty lang means zh_CN.
func (c *Client) UserInfo(ctx context.Context, accessToken, openID string, lang Lang) (*UserInfo, error) {
	const op = "sns/userinfo"
	if lang == "" {
		lang = LangZhCN
	}
	q := url.Values{"access_token": {accessToken}, "openid": {openID}, "lang": {string(lang)}}
	return getJSON(ctx, &c.t, op, c.t.ep.API, "/sns/userinfo", q, decodeUserInfo)
}
