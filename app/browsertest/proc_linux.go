package browsertest

import (
	"os/exec"
	"syscall"
)

// dieWithParent kills mis when the test process dies (go test's timeout, ^C), so no orphan
// keeps a port or a database open.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
