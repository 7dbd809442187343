package web

import "time"

// formatTime writes a time the way the locale expects, in the server's zone.
func formatTime(lang string, t time.Time) string {
	t = t.Local()
	if lang == "en" {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("2006年1月2日 15:04")
}
