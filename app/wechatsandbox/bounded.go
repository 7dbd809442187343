package wechatsandbox

import "container/list"

// bounded is a map that forgets its oldest entries beyond a capacity, so a long-running
// sandbox (or a hostile script against it) cannot grow memory without limit.
// It is not safe for concurrent use; the Sandbox's mutex guards it.
type bounded[K comparable, V any] struct {
	cap   int
	order *list.List // of K, oldest at the front
	m     map[K]*boundedEntry[K, V]
	// onEvict, if set, runs for every entry dropped because of the capacity.
	onEvict func(K, V)
}

type boundedEntry[K comparable, V any] struct {
	v   V
	pos *list.Element
}

func newBounded[K comparable, V any](capacity int) *bounded[K, V] {
	return &bounded[K, V]{cap: capacity, order: list.New(), m: make(map[K]*boundedEntry[K, V])}
}

func (b *bounded[K, V]) get(k K) (V, bool) {
	e, ok := b.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put inserts or replaces k; a replaced key keeps its age.
func (b *bounded[K, V]) put(k K, v V) {
	if e, ok := b.m[k]; ok {
		e.v = v
		return
	}
	b.m[k] = &boundedEntry[K, V]{v: v, pos: b.order.PushBack(k)}
	for b.order.Len() > b.cap {
		old := b.order.Remove(b.order.Front()).(K)
		e := b.m[old]
		delete(b.m, old)
		if b.onEvict != nil {
			b.onEvict(old, e.v)
		}
	}
}

func (b *bounded[K, V]) del(k K) {
	if e, ok := b.m[k]; ok {
		b.order.Remove(e.pos)
		delete(b.m, k)
	}
}

func (b *bounded[K, V]) len() int { return len(b.m) }

// each visits entries oldest first until fn returns false.
func (b *bounded[K, V]) each(fn func(K, V) bool) {
	for el := b.order.Front(); el != nil; el = el.Next() {
		k := el.Value.(K)
		if !fn(k, b.m[k].v) {
			return
		}
	}
}

// newestFirst returns up to n values, newest first.
func (b *bounded[K, V]) newestFirst(n int) []V {
	var out []V
	for el := b.order.Back(); el != nil && len(out) < n; el = el.Prev() {
		out = append(out, b.m[el.Value.(K)].v)
	}
	return out
}
