package browsertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvBinary names the mis binary the harness starts. Main sets it after building the binary
// once for the whole test process; a developer may also set it to a binary built beforehand.
const EnvBinary = "MIS_BROWSERTEST_BIN"

// Main is the TestMain of a package with browser tests: it builds the real mis binary once,
// runs the tests and removes the binary. Use it as
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
// The binary is handed to Start through the environment (EnvBinary), so the package keeps no
// mutable state of its own.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(EnvBinary) == "" {
		dir, err := os.MkdirTemp("", "scanboard-mis-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "browsertest: temporary folder for the mis binary: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin, err := buildMis(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "browsertest: %v\n", err)
			return 1
		}
		os.Setenv(EnvBinary, bin)
	}
	return m.Run()
}

// binary returns the mis binary to start: the one Main built, or, in a package whose
// TestMain does not call Main, one built now for this test alone (slower, but correct).
func binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(EnvBinary); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("browsertest: %s=%s: %v", EnvBinary, bin, err)
		}
		return bin
	}
	t.Logf("browsertest: building mis for this test only; call browsertest.Main from TestMain to build it once")
	bin, err := buildMis(t.TempDir())
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return bin
}

// buildMis runs `go build ./app/cmd/mis` (with -race when the tests have it) from the module
// root into dir.
func buildMis(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "mis")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "./app/cmd/mis")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./app/cmd/mis: %v\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot is the folder holding go.mod, found by walking up from the working directory
// (a test's working directory is its package folder).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
