package web

import "github.com/gofiber/fiber/v2"

// Policy says who may reach a route. Every route has one; a test walks the table.
type Policy int

// The policies, from most open to most closed.
const (
	Public   Policy = iota // anyone, signed in or not
	SignedIn               // any signed-in user, pending included
	Active                 // approved users of any role
	Manager                // managers and admins
	Admin                  // admins only
)

func (p Policy) String() string {
	return [...]string{"public", "signed-in", "active", "manager", "admin"}[p]
}

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string
	Policy  Policy
	Handler fiber.Handler
}

// routeTable is the one list of routes. Each handler is wrapped with its policy check.
func (s *Server) routeTable() []Route {
	rs := []Route{
		{fiber.MethodGet, "/healthz", Public, s.healthz},
		{fiber.MethodGet, "/readyz", Public, s.readyz},
		{fiber.MethodGet, "/static/*", Public, s.staticFile},
		{fiber.MethodGet, "/favicon.ico", Public, s.favicon},
		{fiber.MethodGet, "/", Public, s.home},
		{fiber.MethodPost, "/lang", Public, s.setLang},
		{fiber.MethodPost, "/logout", SignedIn, s.logout},
	}
	for i := range rs {
		rs[i].Handler = s.guard(rs[i].Policy, rs[i].Handler)
	}
	return rs
}
