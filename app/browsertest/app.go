package browsertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"scanboard/app/store/storetest"
)

// EnvRedisURL names the Redis server tests use when set (CI sets it). Without it each node
// keeps sessions and login state in its own memory.
const EnvRedisURL = "MIS_TEST_REDIS_URL"

// Safety nets, not expectations: a node that is not ready or not stopped by then is reported
// with its log instead of hanging the test run.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

// Options adjust one node.
type Options struct {
	// Env adds or replaces MIS_* variables, e.g. {"MIS_SESSION_IDLE": "1m"}. The harness sets
	// MIS_ENV, MIS_ADDR, MIS_BASE_URL, MIS_DATA_DIR, MIS_DATABASE_URL, MIS_REDIS_URL,
	// MIS_LOG_LEVEL (debug) and MIS_SHUTDOWN_TIMEOUT (5s); Env wins over them.
	Env map[string]string
	// DatabaseURL is the database to use; empty gives a fresh one for this test (SQLite in a
	// temporary folder, or a new PostgreSQL database when MIS_TEST_DATABASE_URL is set).
	DatabaseURL string
	// RedisURL is the shared storage; empty means MIS_TEST_REDIS_URL, or memory when unset.
	RedisURL string
}

// App is one running mis process: a node of Scanboard with the built-in WeChat sandbox
// mounted at /_sandbox. It is stopped (SIGTERM, then kill) when the test ends, and its log is
// printed when the test failed.
type App struct {
	// URL is the node's base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// DatabaseURL and RedisURL are what the node uses ("" Redis: in-memory storage); a
	// second node started with Peer shares both.
	DatabaseURL string
	RedisURL    string
	// DataDir is the node's own MIS_DATA_DIR.
	DataDir string
	// Sandbox drives the node's WeChat sandbox through its control API.
	Sandbox *Sandbox

	env  map[string]string // Options.Env, kept for Peer
	bin  string            // the mis binary
	penv map[string]string // the node's full environment, for CLI
	name string            // "node1", "node2", … in messages
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{} // closed when the process has exited
	err  error         // the process's exit error, valid after done
}

// Start runs the mis binary Main built on a free port with a fresh data folder, database and
// environment, and returns once /readyz answers 200.
func Start(t testing.TB, opts Options) *App {
	t.Helper()
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = storetest.URL(t)
	}
	if opts.RedisURL == "" {
		opts.RedisURL = os.Getenv(EnvRedisURL)
	}
	if opts.RedisURL != "" {
		// Each app (with its peers) gets its own key space: tests running side by side on one
		// Redis must not share sessions, login attempts or WeChat tokens minted by another
		// test's sandbox.
		env := maps.Clone(opts.Env)
		if env == nil {
			env = map[string]string{}
		}
		if env["MIS_REDIS_PREFIX"] == "" {
			env["MIS_REDIS_PREFIX"] = "mistest:" + strings.ToLower(rand.Text()[:12]) + ":"
		}
		opts.Env = env
	}
	return start(t, opts, "node1")
}

// Peer starts another node on the same database and Redis, as behind a load balancer. It
// skips the test unless the nodes can really share state: PostgreSQL (MIS_TEST_DATABASE_URL)
// and Redis (MIS_TEST_REDIS_URL). opts.Env is applied over the first node's Env.
//
// Browser cookies are scoped by host, not port, so one browser context sends the same
// cookies to both nodes, which is what a load balancer would see.
func (a *App) Peer(t testing.TB, opts Options) *App {
	t.Helper()
	if !storetest.OnPostgres() || a.RedisURL == "" {
		t.Skipf("two nodes need a shared PostgreSQL and Redis: set %s and %s", storetest.EnvDatabaseURL, EnvRedisURL)
	}
	env := maps.Clone(a.env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, opts.Env)
	n, _ := strconv.Atoi(strings.TrimPrefix(a.name, "node"))
	return start(t, Options{Env: env, DatabaseURL: a.DatabaseURL, RedisURL: a.RedisURL}, "node"+strconv.Itoa(n+1))
}

func start(t testing.TB, opts Options, name string) *App {
	t.Helper()
	bin := binary(t)
	dataDir := t.TempDir()
	var lastErr error
	// A free port can be taken between our probe and mis's listen; try a few.
	for range 3 {
		a, err := launch(t, bin, opts, dataDir, name)
		if err == nil {
			return a
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("browsertest: %v", lastErr)
	return nil
}

var errPortTaken = errors.New("port taken")

func launch(t testing.TB, bin string, opts Options, dataDir, name string) (*App, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	a := &App{
		URL:         "http://" + addr,
		DatabaseURL: opts.DatabaseURL,
		RedisURL:    opts.RedisURL,
		DataDir:     dataDir,
		env:         opts.Env,
		name:        name,
		log:         &logBuffer{},
		done:        make(chan struct{}),
	}
	a.Sandbox = &Sandbox{base: a.URL + sandboxPath + "/api", client: &http.Client{Timeout: 30 * time.Second}}
	env := map[string]string{
		"MIS_ENV":              "development",
		"MIS_ADDR":             addr,
		"MIS_BASE_URL":         a.URL,
		"MIS_DATA_DIR":         dataDir,
		"MIS_DATABASE_URL":     opts.DatabaseURL,
		"MIS_REDIS_URL":        opts.RedisURL,
		"MIS_LOG_LEVEL":        "debug",
		"MIS_SHUTDOWN_TIMEOUT": "5s",
	}
	maps.Copy(env, opts.Env)
	a.bin, a.penv = bin, env
	a.cmd = exec.Command(bin)
	a.cmd.Dir = dataDir
	a.cmd.Env = processEnv(env)
	a.cmd.Stdout = a.log
	a.cmd.Stderr = a.log
	dieWithParent(a.cmd)
	if err := a.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	if err := a.waitReady(); err != nil {
		a.kill()
		if strings.Contains(a.log.String(), "cannot listen") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("%s at %s: %v\n--- mis log ---\n%s", name, a.URL, err, a.log.String())
	}
	// Cleanups run last-registered first: stop the node, then print its log (which then
	// includes the shutdown).
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- mis log of %s (%s) ---\n%s", a.name, a.URL, a.log.tail(256<<10))
		}
	})
	t.Cleanup(func() { a.stop(t) })
	return a, nil
}

// CLI runs `mis ARGS…` against this node's database, data folder and Redis, the way an
// operator would on the server, and returns what it printed. A non-zero exit fails the test.
func (a *App) CLI(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(a.bin, args...)
	cmd.Dir = a.DataDir
	cmd.Env = processEnv(a.penv)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("mis %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// processEnv is a fresh environment: only what a process needs to run, never the
// developer's own MIS_* variables, plus the node's settings.
func processEnv(vars map[string]string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (a *App) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get(a.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz did not answer 200 within %s", readyTimeout)
		}
		select {
		case <-a.done:
			return fmt.Errorf("mis exited before it was ready: %v", a.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the node with SIGTERM, as a service manager would, and reports a node that died
// during the test or did not exit cleanly.
func (a *App) stop(t testing.TB) {
	select {
	case <-a.done:
		t.Errorf("browsertest: %s (%s) exited during the test: %v", a.name, a.URL, a.err)
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
		if a.err != nil {
			t.Errorf("browsertest: %s (%s) exited with %v after SIGTERM", a.name, a.URL, a.err)
		}
	case <-time.After(stopTimeout):
		t.Logf("browsertest: %s (%s) still running %s after SIGTERM; killing it", a.name, a.URL, stopTimeout)
		a.kill()
	}
}

func (a *App) kill() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

// Running reports whether the process is still alive.
func (a *App) Running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// Log returns everything the node has written to stdout and stderr so far.
func (a *App) Log() string { return a.log.String() }

// WaitLog waits until the node's log contains s, e.g. a line another node's action causes,
// and fails the test when the node exits or ctx ends first.
func (a *App) WaitLog(ctx context.Context, t testing.TB, s string) {
	t.Helper()
	for !strings.Contains(a.log.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("browsertest: %s log never showed %q: %v", a.name, s, ctx.Err())
		case <-a.done:
			t.Fatalf("browsertest: %s exited (%v) before its log showed %q", a.name, a.err, s)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logBuffer collects a process's output; exec copies into it from its own goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the last n bytes, cut at a line start, so a long test prints what led to failure.
func (l *logBuffer) tail(n int) string {
	s := l.String()
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…(earlier lines cut)\n" + s
}
