package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"scanboard/app/wechat"
)

// WeChatNotifier sends notices as Official Account template messages. Each kind has its
// own template (ids from the OA back office); a kind without one is skipped.
type WeChatNotifier struct {
	Client *wechat.Client
	// Templates maps a notice kind to its template id.
	Templates map[NoticeKind]string
	// BaseURL is where a tap on the message leads (the approval queue or the home page).
	BaseURL string
	// Timeout bounds one send so a slow WeChat does not hold the admin's request; 0: 5 s.
	Timeout time.Duration
}

// Notify sends one template message.
func (w *WeChatNotifier) Notify(ctx context.Context, to Recipient, n Notice) error {
	tpl := w.Templates[n.Kind]
	if tpl == "" {
		return nil
	}
	timeout := w.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	base := strings.TrimRight(w.BaseURL, "/")
	m := wechat.TemplateMessage{ToUser: to.OpenID, TemplateID: tpl, Data: map[string]wechat.TemplateValue{}}
	// Template keywords follow WeChat's convention: first … keyword1.. … remark.
	switch n.Kind {
	case NoticeWaiting:
		m.URL = fmt.Sprintf("%s/admin/approvals", base)
		m.Data["first"] = wechat.TemplateValue{Value: "新用户等待审批 / A new user is waiting for approval"}
		m.Data["keyword1"] = wechat.TemplateValue{Value: n.Name}
		m.Data["keyword2"] = wechat.TemplateValue{Value: n.Method}
	case NoticeApproved:
		m.URL = base + "/"
		m.Data["first"] = wechat.TemplateValue{Value: "您的账号已通过审批 / Your account was approved"}
		m.Data["keyword1"] = wechat.TemplateValue{Value: n.Name}
		m.Data["keyword2"] = wechat.TemplateValue{Value: n.Role}
	case NoticeRejected:
		m.URL = base + "/"
		m.Data["first"] = wechat.TemplateValue{Value: "您的账号申请未通过 / Your account request was declined"}
		m.Data["keyword1"] = wechat.TemplateValue{Value: n.Name}
		m.Data["remark"] = wechat.TemplateValue{Value: n.Reason}
	default:
		return fmt.Errorf("notify: unknown notice kind %q", n.Kind)
	}
	if _, err := w.Client.SendTemplateMessage(ctx, m); err != nil {
		return fmt.Errorf("notify %s to user %d: %w", n.Kind, to.UserID, err)
	}
	return nil
}
