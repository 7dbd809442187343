// Package browsertest runs Scanboard the way people use it: the real mis binary on a free
// port with the built-in WeChat sandbox, driven by a real headless Chromium (Debian's
// chromium package) through chromedp. Browser tests of every area use it.
//
// # What it gives a test
//
//   - Start builds nothing itself: Main (the package's TestMain) builds ./app/cmd/mis once per
//     test process. Start runs that binary with a fresh data folder and environment: SQLite,
//     or a new PostgreSQL database when MIS_TEST_DATABASE_URL is set; Redis when
//     MIS_TEST_REDIS_URL is set; the WeChat sandbox at /_sandbox. It returns when /readyz
//     answers 200, stops the node at cleanup (SIGTERM, then kill) and prints its log when the
//     test failed. App.Peer starts a second node on the same PostgreSQL and Redis.
//   - NewBrowser starts one Chromium (from MIS_TEST_CHROME; the test skips when it is unset).
//     Browser.NewPage opens a tab in a fresh browser context, so two people, or a PC and a
//     phone, each have their own cookies. Devices: Desktop, Phone, WeChat (MicroMessenger
//     user agent); Device.Lang sets Accept-Language.
//   - Page: Go, Click, ClickNav, Fill, WaitVisible, WaitGone, WaitText, WaitPath, Text, Has,
//     Eval, URL, Path, Cookies, Screenshot (to app/browsertest/screenshots/<test>-<name>.png,
//     git-ignored; a failed test also gets one per open page), Do and Context for any
//     chromedp action. Selectors are CSS, or "text=Label" for what a user would read. Set
//     Page.Base to another node's URL to send the same browser there.
//   - Every page records JavaScript exceptions, console errors and Content-Security-Policy
//     violations; any of them fails the test when the page closes (or at CheckClean).
//   - App.Sandbox calls the sandbox control API (users, scans, confirmations, pushes, SMS,
//     faults, clock). Browser.SandboxPhone opens /_sandbox/phone in a phone-sized context and
//     clicks through it: CreateUser, Use, Current, Follow, ScanLive, ScanContent, InboxLink.
//
// # Writing a browser test
//
// The package's TestMain must call Main. Create the browser first, then the app, then the
// pages: cleanups run in reverse, so pages close, then the app stops, then Chromium exits.
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestScanToLogin(t *testing.T) {
//		b := browsertest.NewBrowser(t) // skips without MIS_TEST_CHROME
//		app := browsertest.Start(t, browsertest.Options{})
//
//		pc := b.NewPage(t, app, browsertest.Desktop())
//		pc.Go("/login")
//		pc.WaitVisible("img") // the QR
//
//		phone := b.SandboxPhone(t, app, browsertest.WeChat())
//		phone.CreateUser("小明", "13800001234")
//		phone.ScanLive("") // the PC's QR, from the phone's list of live codes
//		phone.Go(phone.InboxLink("/login/confirm")) // the link in the OA's reply
//		phone.ClickNav("text=确认登录")
//
//		pc.WaitPath("/pending") // the PC moves on by itself
//		pc.Screenshot("pending")
//	}
//
// Run them with Chromium installed:
//
//	MIS_TEST_CHROME=/usr/bin/chromium go test ./app/browsertest/
//
// With MIS_TEST_DATABASE_URL and MIS_TEST_REDIS_URL also set, the same tests run on
// PostgreSQL and Redis, and two-node tests (App.Peer) run instead of skipping. When the
// working tree does not build, point MIS_BROWSERTEST_BIN at a mis binary built from a
// commit that does.
//
// Each action waits at most Browser.Timeout (DefaultTimeout); that is a guard against hangs,
// not a speed check. Tests may run in parallel (t.Parallel): each has its own browser and
// app. Cookies are scoped by host, not port, so pages talking to two nodes on 127.0.0.1
// share cookies, as browsers behind a load balancer do.
package browsertest
