package web

import (
	"encoding/csv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// csvSafe neutralises spreadsheet formulas (API-08): a cell starting with =, +, -, @, tab or
// carriage return is prefixed with an apostrophe so Excel and LibreOffice show it as text.
// Numbers written by us (a leading minus on a delta) are left alone.
func csvSafe(s string, numeric bool) string {
	if s == "" || numeric {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// sendCSV writes a table as an RFC 4180 CSV download (CRLF line ends, quoted where needed,
// UTF-8 with a byte-order mark so spreadsheet programs read Chinese labels correctly).
// Numeric columns carry the raw value, not the locale-formatted text.
func sendCSV(c *fiber.Ctx, filename string, t vr.Table) error {
	var b strings.Builder
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	head := make([]string, len(t.Headers))
	for i, h := range t.Headers {
		head[i] = csvSafe(i18n.T(c.UserContext(), h), false)
	}
	if err := w.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := make([]string, len(r.Cells))
		for i, cl := range r.Cells {
			num := i < len(t.Numeric) && t.Numeric[i]
			switch {
			case num && cl.Text == "":
				rec[i] = ""
			case num && cl.Text == "–":
				rec[i] = ""
			case num:
				rec[i] = formatRaw(cl.Value)
			default:
				rec[i] = csvSafe(cl.Text, false)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(b.String())
}
