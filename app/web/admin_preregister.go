package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/admin"
	"scanboard/views/i18n"
)

// maxImportBytes bounds a pre-registration CSV (5000 rows fit many times over).
const maxImportBytes = 1 << 20

// preregPage shows the pre-registration forms.
func (s *Server) preregPage(c *fiber.Ctx) error {
	return s.render(c, admin.PreregPage(s.page(c, "admin.prereg.title"), admin.Prereg{Flash: flashOf(c), Roles: roleNames}))
}

// preregister adds one employee by phone.
func (s *Server) preregister(c *fiber.Ctx) error {
	role, err := auth.ParseRole(c.FormValue("role", "employee"))
	if err != nil {
		return err
	}
	u, err := s.Admin.Users.Preregister(c.UserContext(), actor(c), auth.Preregistration{
		Phone: c.FormValue("phone"), Name: c.FormValue("name"), Role: role, Active: c.FormValue("active") == "1",
	}, c.FormValue("reason"))
	if err != nil {
		return err
	}
	return done(c, userHref(u.ID), "admin.done.preregistered")
}

// preregImport pre-registers one user per CSV line and shows what was added and skipped.
func (s *Server) preregImport(c *fiber.Ctx) error {
	const op = "web.preregImport"
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.E(op, apperr.Invalid, apperr.Key("admin.import.no_file"), err)
	}
	if fh.Size > maxImportBytes {
		return apperr.E(op, apperr.TooLarge, apperr.Key("admin.import.too_large"), "import file too large")
	}
	f, err := fh.Open()
	if err != nil {
		return apperr.E(op, apperr.Invalid, err)
	}
	defer f.Close()
	rows, err := s.Admin.Users.ImportCSV(c.UserContext(), actor(c), f, c.FormValue("active") == "1", c.FormValue("reason"))
	if err != nil && len(rows) == 0 {
		return err
	}
	m := admin.Prereg{Roles: roleNames}
	if err != nil { // a later line broke the CSV: report what went in before it
		m.Flash = &admin.Flash{Kind: "error", Text: i18n.T(c.UserContext(), string(keyOr(err, "admin.import.bad_csv")))}
	}
	for _, r := range rows {
		l := admin.ImportLine{Line: r.Line, Phone: r.Phone, Name: r.Name, Added: r.Added}
		if r.Added {
			l.Href = userHref(r.UserID)
			m.Added++
		} else {
			l.Reason = i18n.T(c.UserContext(), r.Reason)
			m.Skipped++
		}
		m.Report = append(m.Report, l)
	}
	return s.render(c, admin.PreregPage(s.page(c, "admin.prereg.title"), m))
}

func keyOr(err error, def apperr.Key) apperr.Key {
	if k := apperr.KeyOf(err); k != "" {
		return k
	}
	return def
}
