// Package layout is the frame every signed-in page shares: top bar, left navigation,
// content area and flash messages. Components take these plain view models, never ent
// entities or Fiber contexts.
package layout

// Page is what the frame needs to draw any page.
type Page struct {
	Title   string // already translated
	Lang    string // zh-CN or en
	CSRF    string // token for the forms in the frame; empty hides them
	Path    string // the current path, for the language switch to come back to
	User    *UserChip
	Nav     []NavItem
	Flashes []Flash
	// Asset maps a static file name to its versioned URL.
	Asset func(name string) string
}

// UserChip is the signed-in user as the top bar shows them.
type UserChip struct {
	Name      string
	AvatarURL string
	RoleKey   string // message id, e.g. role.admin
}

// NavItem is one entry of the left navigation.
type NavItem struct {
	Key    string // message id of the label
	Href   string
	Active bool
}

// Flash is a one-time message shown at the top of the content.
type Flash struct {
	Kind string // info, success or error
	Text string // already translated
}

// OtherLang is the locale the language switch offers.
func (p Page) OtherLang() string {
	if p.Lang == "en" {
		return "zh-CN"
	}
	return "en"
}
