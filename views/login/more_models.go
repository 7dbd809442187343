package login

// PasswordModel is the password form (/login/password) and the break-glass form.
type PasswordModel struct {
	Login    string // what was typed, shown again after a failure (never the password)
	ErrorKey string // one generic message for every credential failure
}

// SetPasswordModel is /profile/password.
type SetPasswordModel struct {
	Email    string
	HasOne   bool // a password is set already: the page says it replaces it
	Saved    bool
	ErrorKey string
}
