package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/app/reports"
	"scanboard/views/upload"
)

// viewerOf is the signed-in user as a viewer of projects.
func viewerOf(p *auth.Principal) reports.Viewer {
	return reports.Viewer{UserID: p.UserID, Role: string(p.Role)}
}

// uploadPage is GET /upload: drag-and-drop of result files into one of the projects the
// user may see, with tags, and a progress bar per file for the transfer and then for the
// processing.
func (s *Server) uploadPage(c *fiber.Ctx) error {
	p := principal(c)
	ps, err := s.Reports.ListProjects(c.UserContext(), viewerOf(p))
	if err != nil {
		return err
	}
	m := upload.Model{
		Selected: c.Query("project"),
		MaxBytes: s.uploadLimit(),
		MaxSize:  humanSize(s.uploadLimit()),
	}
	for _, pr := range ps {
		m.Projects = append(m.Projects, upload.Project{Key: pr.Key, Name: pr.Name})
	}
	return s.render(c, upload.Page(s.page(c, "upload.title"), m))
}

// uploadPost is POST /upload/projects/{key}/runs: the browser side of the upload API, with
// the session and the CSRF token header instead of an API token. The body is the raw file,
// streamed like the API's; the name comes in ?filename= (XHR headers cannot carry
// non-Latin-1 names).
func (s *Server) uploadPost(c *fiber.Ctx) error {
	return s.ingest(c, "web.uploadPost", principal(c).UserID, c.Query("filename"))
}
