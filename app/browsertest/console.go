package browsertest

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// awaitPromise makes Evaluate wait for a promise's value.
func awaitPromise(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }

// flushPrefix marks the console messages the harness writes itself to know that every
// earlier message has been collected.
const flushPrefix = "browsertest:flush:"

// consoleWatch keeps a page's console messages. Problems are classified when asked for,
// so AllowConsole and an expected error status, both known only after the message arrived,
// still apply.
type consoleWatch struct {
	page string

	mu       sync.Mutex
	all      []chromedp.ConsoleMessage
	reported int      // all[:reported] have been handed out as problems already
	allowed  []string // substrings of expected messages
	// errorDocs are documents the test opened knowing their 4xx/5xx status (Go and ClickNav
	// return it), so Chromium's "Failed to load resource" line for them is no surprise.
	errorDocs map[string]bool
	flushed   string // the newest flush marker seen
}

func newConsoleWatch(page string) *consoleWatch {
	return &consoleWatch{page: page, errorDocs: map[string]bool{}}
}

func (w *consoleWatch) collect(msgs iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range msgs {
		if err != nil {
			return // the page closed
		}
		w.mu.Lock()
		if strings.HasPrefix(m.Text, flushPrefix) {
			w.flushed = m.Text
		} else {
			w.all = append(w.all, m)
		}
		w.mu.Unlock()
	}
}

// problems classifies the messages not yet reported; take marks them reported.
func (w *consoleWatch) problems(take bool) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.all[w.reported:] {
		if m.Source == "network" && w.errorDocs[m.URL] {
			continue
		}
		if slices.ContainsFunc(w.allowed, func(a string) bool { return strings.Contains(m.Text, a) }) {
			continue
		}
		if p := problem(m); p != "" {
			out = append(out, fmt.Sprintf("[%s] %s", w.page, p))
		}
	}
	if take {
		w.reported = len(w.all)
	}
	return out
}

func (w *consoleWatch) expectErrorDoc(url string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errorDocs[url] = true
}

// problem classifies a console message: a CSP violation, an uncaught exception or any
// error-level message fails the test; "" means harmless.
func problem(m chromedp.ConsoleMessage) string {
	where := m.URL
	if where != "" && m.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, m.Line+1)
	}
	if where != "" {
		where = " (" + where + ")"
	}
	switch {
	case isCSPViolation(m):
		return "CSP violation: " + m.Text + where
	case m.IsException():
		return "JavaScript exception: " + m.Text + where
	case m.Type == chromedp.ConsoleError:
		src := "console error"
		if m.Source != "" {
			src = m.Source + " error"
		}
		return src + ": " + m.Text + where
	}
	return ""
}

// isCSPViolation: Chromium reports a blocked script, style, image, frame or connection in
// the browser log with source "security", naming the policy's directive.
func isCSPViolation(m chromedp.ConsoleMessage) bool {
	return m.Source == "security" || strings.Contains(m.Text, "Content Security Policy")
}

// AllowConsole marks console messages containing s as expected, so they do not fail the
// test. (A document opened with Go or ClickNav that answers 4xx/5xx needs no allowance: the
// caller gets its status.) CSP violations can be allowed too, but should never need to be.
func (p *Page) AllowConsole(s string) {
	p.watch.mu.Lock()
	defer p.watch.mu.Unlock()
	p.watch.allowed = append(p.watch.allowed, s)
}

// Console returns every console message the page has produced so far.
func (p *Page) Console() []chromedp.ConsoleMessage {
	p.flush()
	p.watch.mu.Lock()
	defer p.watch.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), p.watch.all...)
}

// Problems returns the CSP violations, JavaScript exceptions and console errors recorded so
// far and not allowed.
func (p *Page) Problems() []string {
	p.flush()
	return p.watch.problems(false)
}

// TakeProblems returns the problems recorded so far and forgets them, for a test that
// expects a page to misbehave.
func (p *Page) TakeProblems() []string {
	p.flush()
	return p.watch.problems(true)
}

// CheckClean fails the test (without stopping it) for every problem recorded so far, and
// forgets them, so each is reported once. Cleanup calls it too.
func (p *Page) CheckClean() {
	p.t.Helper()
	p.checkClean()
}

func (p *Page) checkClean() {
	p.t.Helper()
	p.flush()
	for _, pr := range p.watch.problems(true) {
		p.t.Errorf("browsertest: %s", pr)
	}
}

// flush writes a marker to the console and waits until the collector has seen it, so every
// message the page produced before this call has been classified.
func (p *Page) flush() {
	p.flushes++
	marker := fmt.Sprintf("%s%d", flushPrefix, p.flushes)
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%s)", jsString(marker)))); err != nil {
		return // the page is gone or navigating; nothing more to wait for
	}
	for {
		p.watch.mu.Lock()
		seen := p.watch.flushed == marker
		p.watch.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
