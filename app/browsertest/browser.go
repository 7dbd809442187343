package browsertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// EnvChrome names the Chromium executable browser tests drive (CI: /usr/bin/chromium from
// Debian's chromium package, installed by .ci/install-chromium.sh). Unset, browser tests skip.
const EnvChrome = "MIS_TEST_CHROME"

// DefaultTimeout bounds each page action (navigate, click, wait…). It is a safety net that
// turns a hang into a failure with a message, not a speed expectation.
const DefaultTimeout = 20 * time.Second

// Browser is one headless Chromium process for one test. Each Page is a separate browser
// context (its own cookies and storage), so two people, or a PC and a phone, can act side by
// side in one process.
type Browser struct {
	// Timeout bounds each page action; DefaultTimeout unless changed.
	Timeout time.Duration

	t         testing.TB
	ctx       context.Context // the browser's chromedp context
	userAgent string          // the browser's own user agent, without "Headless"
	output    *logBuffer      // Chromium's stderr, printed when the test fails
	pages     int
}

// RequireChrome skips the test when MIS_TEST_CHROME is unset, and returns its value.
// NewBrowser calls it; call it first yourself to skip before starting anything else.
func RequireChrome(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvChrome)
	if path == "" {
		t.Skip("MIS_TEST_CHROME unset: set it to a Chromium executable (e.g. /usr/bin/chromium; .ci/install-chromium.sh installs Debian's) to run browser tests")
	}
	return path
}

// NewBrowser starts Chromium for this test (skipping the test when MIS_TEST_CHROME is unset)
// and closes it when the test ends. Create it before starting the app, so that at cleanup
// pages close first, then the app stops, then the browser exits.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := RequireChrome(t)
	b := &Browser{Timeout: DefaultTimeout, t: t, output: &logBuffer{}}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(b.output),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 800),
		// The machine's network is closed: without these Chromium keeps dialling Google's
		// hosts (updates, sync, QUIC probes) and fills its log with refused connections.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		// The sandbox phone opens some links in a new tab; pop-ups must not be swallowed.
		chromedp.Flag("disable-popup-blocking", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		if t.Failed() {
			if out := chromiumNoise(b.output.tail(32 << 10)); out != "" {
				t.Logf("--- chromium output ---\n%s", out)
			}
		}
	})
	// The first Run starts the browser and ties its life to ctx, so it has no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting %s: %v", path, err)
	}
	v, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("browsertest: %s: Browser.getVersion: %v", path, err)
	}
	b.ctx = ctx
	// The app parses browser and OS from the user agent; it should see a plain Chrome.
	b.userAgent = strings.ReplaceAll(v.UserAgent, "HeadlessChrome", "Chrome")
	return b
}

// chromiumNoise drops the lines Chromium always prints on a server (no D-Bus, Debian's
// wrapper script), so what is left may explain a failure.
func chromiumNoise(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "dbus") || strings.Contains(line, "unexpected operator") || strings.TrimSpace(line) == "" {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// Device is how a page presents itself: viewport, touch, user agent and language.
type Device struct {
	Name          string  // for messages and screenshots: "pc", "phone", "wechat"
	Width, Height int64   // CSS pixels
	Scale         float64 // device pixel ratio
	Mobile        bool    // mobile viewport and touch events
	// UserAgent replaces the browser's own; empty keeps it (a desktop Chrome on Linux).
	UserAgent string
	// Lang is sent as Accept-Language and used as the page locale; empty: "zh-CN".
	Lang string
}

const (
	iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	// weChatUA is what WeChat's in-app browser sends on an iPhone: the app keys on
	// "MicroMessenger" to pick inside-WeChat sign-in.
	weChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN"
)

// Desktop is a PC browser: 1280×800, the browser's own Chrome user agent.
func Desktop() Device {
	return Device{Name: "pc", Width: 1280, Height: 800, Scale: 1}
}

// Phone is a phone browser outside WeChat: 390×844 at 3×, touch, iPhone Safari user agent.
func Phone() Device {
	return Device{Name: "phone", Width: 390, Height: 844, Scale: 3, Mobile: true, UserAgent: iPhoneUA}
}

// WeChat is a phone inside WeChat's browser (MicroMessenger user agent).
func WeChat() Device {
	d := Phone()
	d.Name, d.UserAgent = "wechat", weChatUA
	return d
}
