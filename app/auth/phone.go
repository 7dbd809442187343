package auth

import (
	"strings"

	"scanboard/app/apperr"
)

// NormalizePhone turns what a person typed into E.164 ("+8613800001234"). A bare
// 11-digit number starting with 1[3-9] is a mainland-China mobile number; "+86", "0086" and
// "86" prefixes, spaces, dashes and dots are accepted around it. Other countries need a
// leading "+" or "00". Errors are Invalid with the key phone.error.invalid.
func NormalizePhone(raw string) (string, error) {
	const op = "auth.NormalizePhone"
	bad := apperr.E(op, apperr.Invalid, apperr.Key("phone.error.invalid"), "not a phone number")
	s := strings.TrimSpace(raw)
	intl := false
	switch {
	case strings.HasPrefix(s, "+"):
		intl, s = true, s[1:]
	case strings.HasPrefix(s, "00"):
		intl, s = true, s[2:]
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", bad
		}
	}
	d := digits.String()
	if !intl && len(d) == 13 && strings.HasPrefix(d, "86") {
		intl = true
	}
	if !intl {
		if isCNMobile(d) {
			return "+86" + d, nil
		}
		return "", bad
	}
	if strings.HasPrefix(d, "86") {
		if isCNMobile(d[2:]) {
			return "+" + d, nil
		}
		return "", bad
	}
	// E.164: at most 15 digits, country codes never start with 0.
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", bad
	}
	return "+" + d, nil
}

func isCNMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}
