package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// exportTimeout bounds one CSV export.
const exportTimeout = 10 * time.Minute

// csvCell neutralises spreadsheet formulas (API-08): a cell starting with = + - @, a tab,
// a carriage return or NUL gets a leading apostrophe, so Excel and WPS show it as text.
// encoding/csv then applies RFC 4180 quoting.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return "'" + s
	}
	return s
}

// streamCSV answers with a CSV download written row by row while the rows are read, so an
// export of any size needs constant memory. A UTF-8 BOM lets Excel read Chinese text.
// Errors after the first byte can only end the stream; they are logged.
func (s *Server) streamCSV(c *fiber.Ctx, filename string, header []string, each func(ctx context.Context, write func([]string) error) error) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	log, reqID := s.Log, requestID(c)
	// The body is written after the handler (and its request context) has returned, so the
	// stream has its own deadline, long enough for a large export.
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		bw.WriteString("\ufeff")
		w := csv.NewWriter(bw)
		w.UseCRLF = true
		write := func(rec []string) error {
			for i := range rec {
				rec[i] = csvCell(rec[i])
			}
			if err := w.Write(rec); err != nil {
				return err
			}
			if w.Flush(); w.Error() != nil {
				return w.Error()
			}
			return nil
		}
		if err := w.Write(header); err != nil {
			return
		}
		if err := each(ctx, write); err != nil {
			log.Error("CSV export ended early", "request_id", reqID, "file", filename, "err", err.Error())
		}
		w.Flush()
	})
	return nil
}
