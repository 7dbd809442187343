package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
	"scanboard/views/i18n"
)

// bearer authenticates an API request by its personal API token and requires scope. Only
// the Authorization header counts: a session cookie never authenticates the API, so a page
// on another site cannot make a signed-in browser call it (no CSRF surface).
func (s *Server) bearer(c *fiber.Ctx, scope string) (*reports.TokenPrincipal, error) {
	const op = "web.bearer"
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="scanboard"`)
	h := c.Get(fiber.HeaderAuthorization)
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("error.token_missing"),
			"no API token: send Authorization: Bearer <token>")
	}
	tp, err := s.Reports.AuthenticateToken(c.UserContext(), strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	if !tp.HasScope(scope) {
		return nil, apperr.E(op, apperr.Forbidden, apperr.Key("error.token_scope_missing"),
			"the API token lacks the "+scope+" scope")
	}
	c.Response().Header.Del(fiber.HeaderWWWAuthenticate)
	return tp, nil
}

// userFacingKeys are the errors whose cause was written for the person uploading (it names
// the file and the problem: its size, its format, where it is malformed); their JSON answer
// carries that text after the translated message. Other causes stay in the log.
var userFacingKeys = map[apperr.Key]bool{
	"error.upload_too_large":  true,
	"error.upload_unreadable": true,
	"error.upload_format":     true,
	"error.upload_raw_body":   true,
	// These name the file and the problem in their translation (reports.Refusal).
	"error.upload_name_missing":       true,
	"error.upload_no_extension":       true,
	"error.upload_extension":          true,
	"error.upload_extension_mismatch": true,
	"error.upload_quota_files":        true,
	"error.upload_quota_bytes":        true,
	"error.upload_nul":                true,
	"error.token_invalid":             true,
	"error.token_scope_missing":       true,
	"error.token_missing":             true,
}

// detailOf returns the message key and user-facing cause of err, or "" for the cause when
// err's cause is not meant for users.
func detailOf(err error) (apperr.Key, string) {
	for e := err; e != nil; {
		var ae *apperr.Error
		if !errors.As(e, &ae) {
			break
		}
		if ae.Key != "" {
			if userFacingKeys[ae.Key] && ae.Err != nil {
				return ae.Key, ae.Err.Error()
			}
			return ae.Key, ""
		}
		e = ae.Err
	}
	return "", ""
}

// jsonFail answers an upload or API request that failed as JSON. Errors with a
// user-facing cause get it appended to the translated message; everything else goes to
// the central error handler. The connection is closed because the body may be unread.
func (s *Server) jsonFail(c *fiber.Ctx, err error) error {
	if c.Request().IsBodyStream() {
		c.Response().SetConnectionClose()
	}
	key, detail := detailOf(err)
	status := statusOf(err)
	if detail == "" || status >= 500 {
		return err
	}
	s.Log.Debug("upload refused", "request_id", requestID(c), "status", status, "err", err.Error())
	msg := i18n.T(c.UserContext(), string(key)) + " " + detail
	// A refusal whose translation names the file and the problem itself needs no English
	// cause after it.
	var data interface{ MessageData() map[string]any }
	if errors.As(err, &data) {
		msg = i18n.T(c.UserContext(), string(key), data.MessageData())
	}
	return c.Status(status).JSON(apiError{
		Error:     msg,
		Code:      string(key),
		RequestID: requestID(c),
	})
}

// apiError is the JSON body of a refused API request (the central handler writes the
// same shape).
type apiError struct {
	Error     string `json:"error"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}
