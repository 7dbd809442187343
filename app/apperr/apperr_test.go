package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindAndKey(t *testing.T) {
	base := errors.New("disk on fire")
	tests := []struct {
		name     string
		err      error
		wantKind Kind
		wantKey  Key
		wantText string
	}{
		{"nil", nil, Other, "", ""},
		{"plain error is internal", base, Internal, "", "disk on fire"},
		{"direct", E("op", NotFound, Key("error.not_found"), base), NotFound, "error.not_found", "op: not found: disk on fire"},
		{"kind from inner", E("outer", E("inner", Conflict, "taken")), Conflict, "", "outer: inner: conflict: taken"},
		{"outer kind wins", E("outer", Forbidden, E("inner", Conflict)), Forbidden, "", "outer: forbidden: inner: conflict"},
		{"key from inner", E("outer", Invalid, E("inner", Key("error.bad"))), Invalid, "error.bad", "outer: invalid: inner"},
		{"wrapped by fmt", fmt.Errorf("ctx: %w", E("op", TooLarge)), TooLarge, "", "ctx: op: too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.wantKind {
				t.Errorf("KindOf = %v, want %v", got, tt.wantKind)
			}
			if got := KeyOf(tt.err); got != tt.wantKey {
				t.Errorf("KeyOf = %q, want %q", got, tt.wantKey)
			}
			if tt.err != nil && tt.err.Error() != tt.wantText {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.wantText)
			}
		})
	}
	if !errors.Is(E("op", base), base) {
		t.Error("errors.Is does not see the cause")
	}
}
