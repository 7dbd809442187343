package web_test

import (
	"strconv"

	"scanboard/ent/user"
)

func itoa(n int) string               { return strconv.Itoa(n) }
func userStatus(s string) user.Status { return user.Status(s) }
func userRole(r string) user.Role     { return user.Role(r) }
