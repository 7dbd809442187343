package wechat

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"time"
)

// QRAction is the action_name of cgi-bin/qrcode/create.
type QRAction string

// The four kinds of OA parameterized QR code.
const (
	// QRScene is temporary with an integer scene.
	QRScene QRAction = "QR_SCENE"
	// QRStrScene is temporary with a string scene (what sign-in uses).
	QRStrScene QRAction = "QR_STR_SCENE"
	// QRLimitScene is permanent with an integer scene (1..100000).
	QRLimitScene QRAction = "QR_LIMIT_SCENE"
	// QRLimitStrScene is permanent with a string scene.
	QRLimitStrScene QRAction = "QR_LIMIT_STR_SCENE"
)

// Limits of parameterized QR codes, checked before calling WeChat.
const (
	// MaxQRExpire is the longest life of a temporary QR code (30 days).
	MaxQRExpire = 2592000 * time.Second
	// MaxSceneStrLen is the longest scene_str, in bytes.
	MaxSceneStrLen = 64
	// MaxLimitSceneID is the largest scene_id of a permanent QR code.
	MaxLimitSceneID = 100000
)

// QRCodeRequest asks for a parameterized QR code. Set SceneID for the integer
// actions and SceneStr for the string ones; ExpireIn only for temporary codes
// (zero leaves WeChat's default, 60 s in the current docs).
type QRCodeRequest struct {
	Action   QRAction
	SceneID  int64
	SceneStr string
	ExpireIn time.Duration
}

// Validate checks the request against WeChat's documented limits.
func (r QRCodeRequest) Validate() error {
	temporary := r.Action == QRScene || r.Action == QRStrScene
	switch r.Action {
	case QRScene:
		if r.SceneID < 1 || r.SceneID > math.MaxUint32 {
			return fmt.Errorf("%w: QR_SCENE scene_id %d must be a non-zero 32-bit integer (1..%d)", ErrInvalidArgument, r.SceneID, uint32(math.MaxUint32))
		}
	case QRLimitScene:
		if r.SceneID < 1 || r.SceneID > MaxLimitSceneID {
			return fmt.Errorf("%w: QR_LIMIT_SCENE scene_id %d must be 1..%d", ErrInvalidArgument, r.SceneID, MaxLimitSceneID)
		}
	case QRStrScene, QRLimitStrScene:
		if n := len(r.SceneStr); n < 1 || n > MaxSceneStrLen {
			return fmt.Errorf("%w: %s scene_str is %d bytes; it must be 1..%d", ErrInvalidArgument, r.Action, n, MaxSceneStrLen)
		}
	default:
		return fmt.Errorf("%w: unknown QR action_name %q", ErrInvalidArgument, r.Action)
	}
	if (r.Action == QRScene || r.Action == QRLimitScene) && r.SceneStr != "" {
		return fmt.Errorf("%w: %s takes scene_id, not scene_str", ErrInvalidArgument, r.Action)
	}
	if (r.Action == QRStrScene || r.Action == QRLimitStrScene) && r.SceneID != 0 {
		return fmt.Errorf("%w: %s takes scene_str, not scene_id", ErrInvalidArgument, r.Action)
	}
	switch {
	case r.ExpireIn < 0:
		return fmt.Errorf("%w: QR expiry %s is negative", ErrInvalidArgument, r.ExpireIn)
	case !temporary && r.ExpireIn != 0:
		return fmt.Errorf("%w: %s is permanent and takes no expiry", ErrInvalidArgument, r.Action)
	case r.ExpireIn > MaxQRExpire:
		return fmt.Errorf("%w: QR expiry %s exceeds the 30-day maximum (%d s)", ErrInvalidArgument, r.ExpireIn, int64(MaxQRExpire/time.Second))
	case temporary && r.ExpireIn != 0 && r.ExpireIn < time.Second:
		return fmt.Errorf("%w: QR expiry %s is under one second", ErrInvalidArgument, r.ExpireIn)
	}
	return nil
}

type qrCreateWire struct {
	ExpireSeconds int64    `json:"expire_seconds,omitempty"`
	ActionName    QRAction `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneID  int64  `json:"scene_id,omitempty"`
			SceneStr string `json:"scene_str,omitempty"`
		} `json:"scene"`
	} `json:"action_info"`
}

// QRCode is a created parameterized QR code.
type QRCode struct {
	// Ticket identifies the code; pushes carry it; ShowQRCodeURL turns it into an image URL.
	Ticket string `json:"ticket"`
	// ExpireSeconds is the life WeChat granted (0 for permanent codes; 0 has also been seen for temporary ones).
	ExpireSeconds int64 `json:"expire_seconds"`
	// URL is the content the QR encodes; render your own QR from it if you like.
	URL string `json:"url"`
}

func decodeQRCode(op string, status int, body []byte) (*QRCode, error) {
	var w struct {
		Ticket        string  `json:"ticket"`
		ExpireSeconds flexInt `json:"expire_seconds"`
		URL           string  `json:"url"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.Ticket == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: ticket missing", ErrMalformedResponse)}
	}
	return &QRCode{Ticket: w.Ticket, ExpireSeconds: int64(w.ExpireSeconds), URL: w.URL}, nil
}

// CreateQRCode creates an OA parameterized QR code (cgi-bin/qrcode/create).
// The request is validated first, so a too-long scene never reaches WeChat.
func (c *Client) CreateQRCode(ctx context.Context, r QRCodeRequest) (*QRCode, error) {
	const op = "cgi-bin/qrcode/create"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var in qrCreateWire
	in.ActionName = r.Action
	in.ActionInfo.Scene.SceneID = r.SceneID
	in.ActionInfo.Scene.SceneStr = r.SceneStr
	// Round up so a sub-second remainder never shortens the code's life.
	in.ExpireSeconds = int64((r.ExpireIn + time.Second - 1) / time.Second)
	var qr *QRCode
	err := c.withToken(ctx, func(q url.Values) (err error) {
		qr, err = postJSON(ctx, &c.t, op, c.t.ep.API, "/cgi-bin/qrcode/create", q, in, decodeQRCode)
		return err
	})
	return qr, err
}

// ShowQRCodeURL returns the image URL of a ticket (mp/cgi-bin/showqrcode).
// The ticket is URL-escaped: it contains +, / and =.
func (c *Client) ShowQRCodeURL(ticket string) string {
	return c.t.ep.MP + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(ticket)
}
