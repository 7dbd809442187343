package agg

import "sort"

// ErrorCount is an error key and how often it occurred. Over is the most the count may
// overstate the truth (space-saving estimate); it is 0 while the table never overflowed.
type ErrorCount struct {
	Key     string // as JMeter's dashboard words it: "code/message", or the message alone
	Code    string
	Message string
	Count   int64
	Over    int64
}

type errKey struct{ code, msg string }

// TopErrors keeps the most frequent errors in bounded memory with the space-saving
// algorithm: when the table is full a new key replaces the least frequent one and inherits
// its count as an upper bound of error, so frequent keys are never lost.
type TopErrors struct {
	cap     int
	entries []ErrorCount
	pos     map[errKey]int
}

func newTopErrors(capacity int) *TopErrors {
	return &TopErrors{cap: capacity, pos: make(map[errKey]int)}
}

// maxErrorText bounds a kept response code or message (the store clips to the same size):
// a pathological row cannot make each of the table's slots hold megabytes.
const maxErrorText = 32 << 10

// Add counts n occurrences of an error with this response code and message. Keying on the
// pair, not a joined string, keeps the per-error cost free of allocations.
func (t *TopErrors) Add(code, msg string, n int64) {
	if len(msg) > maxErrorText || len(code) > maxErrorText {
		code, msg = clipText(code, maxErrorText), clipText(msg, maxErrorText)
	}
	k := errKey{code, msg}
	if i, ok := t.pos[k]; ok {
		t.entries[i].Count += n
		return
	}
	if len(t.entries) < t.cap {
		t.pos[k] = len(t.entries)
		t.entries = append(t.entries, ErrorCount{Code: code, Message: msg, Count: n})
		return
	}
	m := 0
	for i := range t.entries {
		if t.entries[i].Count < t.entries[m].Count {
			m = i
		}
	}
	old := t.entries[m]
	delete(t.pos, errKey{old.Code, old.Message})
	t.pos[k] = m
	t.entries[m] = ErrorCount{Code: code, Message: msg, Count: old.Count + n, Over: old.Count}
}

// Merge adds every entry of o.
func (t *TopErrors) Merge(o *TopErrors) {
	for _, e := range o.entries {
		t.Add(e.Code, e.Message, e.Count)
	}
}

// Top returns up to n entries (all when n < 0), most frequent first, ties by key.
func (t *TopErrors) Top(n int) []ErrorCount {
	out := append([]ErrorCount(nil), t.entries...)
	for i := range out {
		out[i].Key = errorKey(out[i].Code, out[i].Message)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// errorKey words an error as JMeter's dashboard does (ErrorsSummaryConsumer): "code/message",
// except that a success or empty code means an assertion failed and the message says why.
func errorKey(code, msg string) string {
	if code == "" || isSuccessCode(code) {
		return msg
	}
	return code + "/" + msg
}

func isSuccessCode(c string) bool {
	return len(c) == 3 && (c[0] == '2' || c[0] == '3') && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9'
}
