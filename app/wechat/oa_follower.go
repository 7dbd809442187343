package wechat

import (
	"context"
	"fmt"
	"net/url"
)

// Follower is an OA user's record from cgi-bin/user/info. Since 2021-12-27 it
// carries no nickname or avatar; unionid only for followers of a bound OA.
type Follower struct {
	// Subscribed is false when the user does not follow the OA; nothing else is then known.
	Subscribed     bool    `json:"-"`
	OpenID         string  `json:"openid"`
	Language       string  `json:"language"`
	SubscribeTime  int64   `json:"-"`
	UnionID        string  `json:"unionid,omitempty"`
	Remark         string  `json:"remark"`
	GroupID        int64   `json:"-"`
	TagIDs         []int64 `json:"tagid_list"`
	SubscribeScene string  `json:"subscribe_scene"`
	QRScene        int64   `json:"-"`
	QRSceneStr     string  `json:"qr_scene_str"`
}

func decodeFollower(op string, status int, body []byte) (*Follower, error) {
	var w struct {
		Follower
		Subscribe     flexInt `json:"subscribe"`
		SubscribeTime flexInt `json:"subscribe_time"`
		GroupID       flexInt `json:"groupid"`
		QRScene       flexInt `json:"qr_scene"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.OpenID == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: openid missing", ErrMalformedResponse)}
	}
	f := w.Follower
	f.Subscribed = w.Subscribe == 1
	f.SubscribeTime = int64(w.SubscribeTime)
	f.GroupID = int64(w.GroupID)
	f.QRScene = int64(w.QRScene)
	return &f, nil
}

// FollowerInfo fetches an OA user by openid (cgi-bin/user/info), the way to
// learn the unionid after a subscribe or SCAN push. An openid that does not
// belong to this OA fails with CodeInvalidOpenID (40003).
func (c *Client) FollowerInfo(ctx context.Context, openID string, lang Lang) (*Follower, error) {
	const op = "cgi-bin/user/info"
	if openID == "" {
		return nil, fmt.Errorf("%w: openid is empty", ErrInvalidArgument)
	}
	if lang == "" {
		lang = LangZhCN
	}
	var f *Follower
	err := c.withToken(ctx, func(q url.Values) (err error) {
		q.Set("openid", openID)
		q.Set("lang", string(lang))
		f, err = getJSON(ctx, &c.t, op, c.t.ep.API, "/cgi-bin/user/info", q, decodeFollower)
		return err
	})
	return f, err
}
