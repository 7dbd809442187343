package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/views/errorpage"
	"scanboard/views/i18n"
)

// statusOf maps an error to its HTTP status. This is the one place that decides it.
func statusOf(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	switch apperr.KindOf(err) {
	case apperr.Invalid:
		return fiber.StatusBadRequest
	case apperr.NotFound:
		return fiber.StatusNotFound
	case apperr.Unauthorized:
		return fiber.StatusUnauthorized
	case apperr.Forbidden:
		return fiber.StatusForbidden
	case apperr.Conflict:
		return fiber.StatusConflict
	case apperr.TooMany:
		return fiber.StatusTooManyRequests
	case apperr.TooLarge:
		return fiber.StatusRequestEntityTooLarge
	case apperr.Unavailable:
		return fiber.StatusServiceUnavailable
	default:
		return fiber.StatusInternalServerError
	}
}

// messageKey is the user-facing message: the error's own key, or the status's.
func messageKey(err error, status int) string {
	if k := apperr.KeyOf(err); k != "" {
		return string(k)
	}
	switch status {
	case 400, 401, 403, 404, 405, 409, 413, 415, 429, 431, 500, 503:
		return "error." + strconv.Itoa(status)
	}
	if status >= 500 {
		return "error.500"
	}
	return "error.400"
}

// handleError renders every failed request: a JSON body for API clients, the error page
// otherwise. Internal details go to the log with the request id, never to the user.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	key := messageKey(err, status)
	id := requestID(c)
	if status >= 500 {
		s.Log.Error("request failed", "request_id", id, "status", status, "err", err.Error())
	} else {
		s.Log.Debug("request refused", "request_id", id, "status", status, "err", err.Error())
	}
	// Anonymous visitors of a protected page are sent to sign in.
	if status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet && !wantsJSON(c) {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	c.Status(status)
	msg := i18n.T(c.UserContext(), key)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"error": msg, "code": key, "request_id": id})
	}
	if c.Locals(localNonce) == nil { // failed before the page machinery ran
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.SendString(msg + " (" + id + ")")
	}
	return s.render(c, errorpage.Page(s.page(c, "error.title"), errorpage.Model{
		Status: status, MessageKey: key, RequestID: id,
	}))
}

// wantsJSON: API routes and clients that ask for JSON get JSON errors.
func wantsJSON(c *fiber.Ctx) bool {
	if len(c.Path()) >= 5 && c.Path()[:5] == "/api/" {
		return true
	}
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}
