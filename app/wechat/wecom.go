package wechat

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// WorkClient calls WeCom (企业微信) for employee web login on behalf of one
// self-built application. It is safe for concurrent use.
type WorkClient struct {
	corpID  string
	secret  string
	agentID string
	t       transport
	tokens  *tokenSource
}

// NewWork returns a WorkClient for cfg; CorpID is required.
func NewWork(cfg WorkConfig) (*WorkClient, error) {
	if cfg.CorpID == "" {
		return nil, fmt.Errorf("%w: wechat.WorkConfig.CorpID is empty", ErrInvalidArgument)
	}
	w := &WorkClient{
		corpID:  cfg.CorpID,
		secret:  cfg.CorpSecret,
		agentID: cfg.AgentID,
		t:       newTransport(cfg.HTTPClient, cfg.Endpoints, cfg.Logger, cfg.Now),
	}
	cache := cfg.Cache
	if cache == nil {
		cache = NewMemoryCache()
	}
	w.tokens = &tokenSource{
		cache: cache,
		// Each (corp, application) has its own token.
		key:   "wechat:work_token:" + cfg.CorpID + ":" + cfg.AgentID,
		fetch: w.fetchToken,
		now:   w.t.now,
		log:   w.t.log,
	}
	return w, nil
}

// CorpID returns the company id.
func (w *WorkClient) CorpID() string { return w.corpID }

// AccessToken returns the application's token (cgi-bin/gettoken) from the shared cache.
func (w *WorkClient) AccessToken(ctx context.Context) (string, error) {
	return w.tokens.token(ctx)
}

// FetchAccessToken calls cgi-bin/gettoken directly, bypassing the cache.
func (w *WorkClient) FetchAccessToken(ctx context.Context) (*AppToken, error) {
	q := url.Values{"corpid": {w.corpID}, "corpsecret": {w.secret}}
	return getJSON(ctx, &w.t, "cgi-bin/gettoken", w.t.ep.QYAPI, "/cgi-bin/gettoken", q, decodeInto[AppToken])
}

func (w *WorkClient) fetchToken(ctx context.Context, _ bool) (string, time.Duration, error) {
	t, err := w.FetchAccessToken(ctx)
	if err != nil {
		return "", 0, err
	}
	return t.AccessToken, time.Duration(t.ExpiresIn) * time.Second, nil
}

func (w *WorkClient) withToken(ctx context.Context, call func(q url.Values) error) error {
	return w.tokens.withToken(ctx, func(tok string) error {
		return call(url.Values{"access_token": {tok}})
	})
}

// LoginURL builds the current WeCom web login page URL (wwlogin/sso/login,
// login_type=CorpApp). lang is "zh", "en" or empty.
func (w *WorkClient) LoginURL(redirectURI, state, lang string) (string, error) {
	if err := w.checkLogin(redirectURI, state); err != nil {
		return "", err
	}
	q := orderedQuery{
		{"login_type", "CorpApp"},
		{"appid", w.corpID},
		{"agentid", w.agentID},
		{"redirect_uri", redirectURI},
		{"state", state},
	}
	switch lang {
	case "":
	case "zh", "en":
		q = append(q, [2]string{"lang", lang})
	default:
		return "", fmt.Errorf("%w: WeCom login lang must be zh or en, not %q", ErrInvalidArgument, lang)
	}
	return w.t.ep.WorkLogin + "/wwlogin/sso/login?" + q.encode(), nil
}

// QRConnectURL builds the old WeCom QR login page URL (wwopen/sso/qrConnect).
func (w *WorkClient) QRConnectURL(redirectURI, state string) (string, error) {
	if err := w.checkLogin(redirectURI, state); err != nil {
		return "", err
	}
	q := orderedQuery{
		{"appid", w.corpID},
		{"agentid", w.agentID},
		{"redirect_uri", redirectURI},
		{"state", state},
	}
	return w.t.ep.WorkOpen + "/wwopen/sso/qrConnect?" + q.encode(), nil
}

func (w *WorkClient) checkLogin(redirectURI, state string) error {
	if w.agentID == "" {
		return fmt.Errorf("%w: WeCom login pages need the AgentID", ErrInvalidArgument)
	}
	if err := validateRedirect(redirectURI); err != nil {
		return err
	}
	return ValidateState(state)
}

// WorkIdentity is who a WeCom login code belongs to: a member (UserID) or,
// for non-members, an OpenID and perhaps an ExternalUserID.
type WorkIdentity struct {
	UserID         string
	UserTicket     string
	OpenID         string
	ExternalUserID string
	DeviceID       string
}

// IsMember reports whether the code belongs to a member of the company.
func (i *WorkIdentity) IsMember() bool { return i.UserID != "" }

func decodeWorkIdentity(op string, status int, body []byte) (*WorkIdentity, error) {
	// The legacy endpoint capitalizes keys (UserId, OpenId, DeviceId); accept both.
	var w struct {
		UserID         string `json:"userid"`
		UserIDLegacy   string `json:"UserId"`
		UserTicket     string `json:"user_ticket"`
		OpenID         string `json:"openid"`
		OpenIDLegacy   string `json:"OpenId"`
		ExternalUserID string `json:"external_userid"`
		DeviceID       string `json:"deviceid"`
		DeviceIDLegacy string `json:"DeviceId"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	id := &WorkIdentity{
		UserID:         first(w.UserID, w.UserIDLegacy),
		UserTicket:     w.UserTicket,
		OpenID:         first(w.OpenID, w.OpenIDLegacy),
		ExternalUserID: w.ExternalUserID,
		DeviceID:       first(w.DeviceID, w.DeviceIDLegacy),
	}
	if id.UserID == "" && id.OpenID == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: neither userid nor openid", ErrMalformedResponse)}
	}
	return id, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// UserIdentity trades a WeCom login code for the identity
// (cgi-bin/auth/getuserinfo). Bad code: CodeInvalidCode (40029); callback
// domain not trusted: CodeUserUnauthorized (50001).
func (w *WorkClient) UserIdentity(ctx context.Context, code string) (*WorkIdentity, error) {
	const op = "cgi-bin/auth/getuserinfo"
	if code == "" {
		return nil, fmt.Errorf("%w: WeCom code is empty (the user may have refused)", ErrInvalidArgument)
	}
	var id *WorkIdentity
	err := w.withToken(ctx, func(q url.Values) (err error) {
		q.Set("code", code)
		id, err = getJSON(ctx, &w.t, op, w.t.ep.QYAPI, "/cgi-bin/auth/getuserinfo", q, decodeWorkIdentity)
		return err
	})
	return id, err
}

// WorkUser is a member record from cgi-bin/user/get. Applications created
// after mid-2022 no longer receive mobile, email, gender or avatar here.
type WorkUser struct {
	UserID         string  `json:"userid"`
	Name           string  `json:"name"`
	Department     []int64 `json:"department"`
	Position       string  `json:"position"`
	Mobile         string  `json:"mobile"`
	Gender         string  `json:"-"`
	Email          string  `json:"email"`
	BizMail        string  `json:"biz_mail"`
	Avatar         string  `json:"avatar"`
	Alias          string  `json:"alias"`
	Status         int     `json:"-"`
	MainDepartment int64   `json:"-"`
	OpenUserID     string  `json:"open_userid"`
}

func decodeWorkUser(op string, status int, body []byte) (*WorkUser, error) {
	var w struct {
		WorkUser
		Gender         flexString `json:"gender"`
		Status         flexInt    `json:"status"`
		MainDepartment flexInt    `json:"main_department"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.UserID == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: userid missing", ErrMalformedResponse)}
	}
	u := w.WorkUser
	u.Gender = string(w.Gender)
	u.Status = int(w.Status)
	u.MainDepartment = int64(w.MainDepartment)
	return &u, nil
}

// User fetches a member by userid (cgi-bin/user/get).
func (w *WorkClient) User(ctx context.Context, userID string) (*WorkUser, error) {
	const op = "cgi-bin/user/get"
	if userID == "" {
		return nil, fmt.Errorf("%w: userid is empty", ErrInvalidArgument)
	}
	var u *WorkUser
	err := w.withToken(ctx, func(q url.Values) (err error) {
		q.Set("userid", userID)
		u, err = getJSON(ctx, &w.t, op, w.t.ep.QYAPI, "/cgi-bin/user/get", q, decodeWorkUser)
		return err
	})
	return u, err
}
