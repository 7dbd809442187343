package wechat

import (
	"context"
	"fmt"
	"net/url"
)

// TemplateMessage is an OA template message (cgi-bin/message/template/send).
type TemplateMessage struct {
	// ToUser is the recipient's openid for this OA.
	ToUser string `json:"touser"`
	// TemplateID is the template's id from the OA back office.
	TemplateID string `json:"template_id"`
	// URL is opened when the message is tapped (optional).
	URL string `json:"url,omitempty"`
	// MiniProgram opens a Mini Program page instead of URL (optional).
	MiniProgram *TemplateMiniProgram `json:"miniprogram,omitempty"`
	// Data fills the template's keywords.
	Data map[string]TemplateValue `json:"data"`
	// ClientMsgID de-duplicates sends at WeChat (optional).
	ClientMsgID string `json:"client_msg_id,omitempty"`
}

// TemplateMiniProgram points a template message at a Mini Program page.
type TemplateMiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"`
}

// TemplateValue is one keyword's value.
type TemplateValue struct {
	Value string `json:"value"`
	Color string `json:"color,omitempty"`
}

func decodeTemplateSend(op string, status int, body []byte) (int64, error) {
	var w struct {
		MsgID flexInt `json:"msgid"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return 0, err
	}
	return int64(w.MsgID), nil
}

// SendTemplateMessage sends m and returns WeChat's msgid.
func (c *Client) SendTemplateMessage(ctx context.Context, m TemplateMessage) (int64, error) {
	const op = "cgi-bin/message/template/send"
	if m.ToUser == "" || m.TemplateID == "" {
		return 0, fmt.Errorf("%w: template message needs touser and template_id", ErrInvalidArgument)
	}
	var id int64
	err := c.withToken(ctx, func(q url.Values) (err error) {
		id, err = postJSON(ctx, &c.t, op, c.t.ep.API, "/cgi-bin/message/template/send", q, m, decodeTemplateSend)
		return err
	})
	return id, err
}
