package agg

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"scanboard/app/reports/parse"
)

// TestMaxLabels: the label past the cap fails the sample with its line; labels already
// known keep counting.
func TestMaxLabels(t *testing.T) {
	a := New(Options{MaxLabels: 3})
	for i := range 3 {
		if err := a.Sample(&parse.Sample{Label: fmt.Sprint("L", i), StartMS: 1000, ElapsedMS: 5, OK: true, Line: i + 2}); err != nil {
			t.Fatalf("label %d: %v", i, err)
		}
	}
	err := a.Sample(&parse.Sample{Label: "one too many", StartMS: 1000, ElapsedMS: 5, OK: true, Line: 9})
	var pe *parse.Error
	if !errors.As(err, &pe) || pe.Line != 9 || !strings.Contains(pe.Msg, "more than 3 distinct labels") || !strings.Contains(pe.Msg, `"one too many"`) {
		t.Fatalf("fourth label: %v, want a located error naming the cap and the label", err)
	}
	if err := a.Sample(&parse.Sample{Label: "L1", StartMS: 1000, ElapsedMS: 5, OK: true, Line: 10}); err != nil {
		t.Fatalf("a known label after the refusal: %v", err)
	}
	if n := a.Result().Overall.Count; n != 4 {
		t.Fatalf("overall count %d, want 4", n)
	}
	// The default is 10,000.
	if New(Options{}).opt.MaxLabels != 10_000 {
		t.Fatal("default MaxLabels")
	}
}

// TestErrorTextIsClipped: a kept error message is a bounded copy, not the whole text (nor a
// slice that keeps the whole text alive).
func TestErrorTextIsClipped(t *testing.T) {
	te := newTopErrors(4)
	huge := strings.Repeat("é", 100_000) // 200,000 bytes
	te.Add("500", huge, 1)
	te.Add("500", huge, 2)
	top := te.Top(4)
	if len(top) != 1 || top[0].Count != 3 {
		t.Fatalf("entries %+v; the same long message must stay one entry", top)
	}
	if m := top[0].Message; len(m) > maxErrorText || !strings.HasPrefix(huge, m) || len(m) < maxErrorText-1 {
		t.Fatalf("kept %d bytes (limit %d)", len(m), maxErrorText)
	}
}
