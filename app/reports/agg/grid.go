package agg

import (
	"maps"
	"slices"
)

// grid is a series of time buckets of one size, found by bucket number (start time divided
// by the size). While the numbers in use are dense enough it keeps them in an array, so that
// a sample finds its bucket by indexing and widening the buckets merges neighbours in one
// pass in time order; the array spans the numbers from the first to the last bucket holding
// samples, with nil where none fell, and the Aggregator keeps the run's span within a
// bounded number of buckets (MaxBuckets) and of slices per label (MaxSlices). A label seen
// now and then over a long run would leave such an array mostly empty, so a grid used at
// less than one number in eight keeps its buckets in a map instead, and goes back to an
// array once it is used at one in four.
type grid struct {
	size   int64     // bucket width in ms
	first  int64     // number of cells[0]
	cells  []*Bucket // cells[i] starts at (first+i)*size ms; nil when empty
	n      int       // buckets held
	sparse *sparseCells
}

// sparseCells hold a grid's buckets instead of cells while few numbers are in use; lo and
// hi are the smallest and largest of them.
type sparseCells struct {
	m      map[int64]*Bucket
	lo, hi int64
}

const (
	sparseFrom = 64 // shortest array that may turn into a map
	sparseAt   = 8  // an array used at less than 1 in sparseAt numbers turns into a map
	denseAt    = 4  // a map used at 1 in denseAt numbers or more turns into an array
)

// get returns bucket number n, nil when there is none.
func (g *grid) get(n int64) *Bucket {
	if g.sparse != nil {
		return g.sparse.m[n]
	}
	if i := uint64(n - g.first); i < uint64(len(g.cells)) {
		return g.cells[i]
	}
	return nil
}

// set makes b bucket number n, which must have none.
func (g *grid) set(n int64, b *Bucket) {
	g.n++
	if sp := g.sparse; sp != nil {
		sp.m[n] = b
		sp.lo, sp.hi = min(sp.lo, n), max(sp.hi, n)
		if span := sp.hi - sp.lo + 1; g.n*denseAt >= int(min(span, 1<<30)) {
			g.toDense()
		}
		return
	}
	if i := uint64(n - g.first); i < uint64(len(g.cells)) {
		g.cells[i] = b
		return
	}
	if len(g.cells) > 0 {
		span := max(n, g.first+int64(len(g.cells))-1) - min(n, g.first) + 1
		if span > sparseFrom && int64(g.n)*sparseAt < span {
			g.toSparse()
			sp := g.sparse
			sp.m[n] = b
			sp.lo, sp.hi = min(sp.lo, n), max(sp.hi, n)
			return
		}
	}
	g.cells[g.extend(n)] = b
}

// extend widens the array to include bucket number n and returns its index. Going back in
// time leaves some room before the new first bucket, since start times arrive out of order.
func (g *grid) extend(n int64) int64 {
	if len(g.cells) == 0 {
		g.first = n
		g.cells = append(g.cells[:0], nil)
		return 0
	}
	if n >= g.first {
		g.cells = append(g.cells, make([]*Bucket, int(n-g.first)+1-len(g.cells))...)
		return n - g.first
	}
	room := int64(len(g.cells) / 4)
	first := n - room
	cells := make([]*Bucket, int(g.first-first)+len(g.cells), int(g.first-first)+cap(g.cells))
	copy(cells[g.first-first:], g.cells)
	g.first, g.cells = first, cells
	return n - first
}

func (g *grid) toSparse() {
	sp := &sparseCells{m: make(map[int64]*Bucket, g.n), lo: g.first + int64(len(g.cells)), hi: g.first}
	for i, b := range g.cells {
		if b != nil {
			n := g.first + int64(i)
			sp.m[n] = b
			sp.lo, sp.hi = min(sp.lo, n), max(sp.hi, n)
		}
	}
	g.cells, g.first, g.sparse = nil, 0, sp
}

func (g *grid) toDense() {
	sp := g.sparse
	g.first = sp.lo
	g.cells = make([]*Bucket, sp.hi-sp.lo+1)
	for n, b := range sp.m {
		g.cells[n-g.first] = b
	}
	g.sparse = nil
}

// each calls fn for every bucket in time order.
func (g *grid) each(fn func(*Bucket)) {
	if sp := g.sparse; sp != nil {
		for _, n := range slices.Sorted(maps.Keys(sp.m)) {
			fn(sp.m[n])
		}
		return
	}
	for _, b := range g.cells {
		if b != nil {
			fn(b)
		}
	}
}

// list returns the buckets in time order.
func (g *grid) list() []*Bucket {
	out := make([]*Bucket, 0, g.n)
	g.each(func(b *Bucket) { out = append(out, b) })
	return out
}

// add puts b in the grid, merging it into the bucket already there, which it then replaces
// as the owner of b's start: b is not used afterwards.
func (g *grid) add(b *Bucket) {
	n := floorDiv(b.StartMS, g.size)
	if t := g.get(n); t != nil {
		t.merge(b)
		return
	}
	b.StartMS = n * g.size
	g.set(n, b)
}

// widen merges the buckets into buckets size ms wide. The buckets that become one are
// merged together in one pass (see Bucket.mergeAll), with scratch as working memory.
func (g *grid) widen(size int64, scratch *sparseScratch) {
	old := g.list()
	*g = grid{size: size}
	var group []*Bucket
	for i := 0; i < len(old); {
		b := old[i]
		n := floorDiv(b.StartMS, size)
		group = group[:0]
		for i++; i < len(old) && floorDiv(old[i].StartMS, size) == n; i++ {
			group = append(group, old[i])
		}
		b.StartMS = n * size
		b.mergeAll(group, scratch)
		g.set(n, b)
	}
}

// clone returns a deep copy of g.
func (g *grid) clone() grid {
	c := grid{size: g.size}
	g.each(func(b *Bucket) { c.set(floorDiv(b.StartMS, g.size), b.clone()) })
	return c
}

// mergeFrom adds copies of o's buckets (of the same size) to g.
func (g *grid) mergeFrom(o *grid) {
	o.each(func(ob *Bucket) {
		n := floorDiv(ob.StartMS, g.size)
		if b := g.get(n); b != nil {
			b.merge(ob)
		} else {
			g.set(n, ob.clone())
		}
	})
}

func floorDiv(t, size int64) int64 {
	q := t / size
	if t%size < 0 {
		q--
	}
	return q
}
