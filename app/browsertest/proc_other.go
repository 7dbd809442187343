//go:build !linux

package browsertest

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; cleanups stop mis instead.
func dieWithParent(cmd *exec.Cmd) {}
