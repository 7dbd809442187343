package agg

// grid is a series of time buckets of one size kept in an array by bucket number (start
// time divided by the size), so that a sample finds its bucket by indexing, and widening
// the buckets merges neighbours in one pass in time order. The array spans the numbers from
// the first to the last bucket holding samples, with nil where none fell: the Aggregator
// keeps the run's span within a bounded number of buckets (MaxBuckets) and of slices per
// label (MaxSlices), so the array is bounded too, and a slot costs a pointer where a map
// entry cost more.
type grid struct {
	size  int64     // bucket width in ms
	first int64     // number of cells[0]
	cells []*Bucket // cells[i] starts at (first+i)*size ms; nil when empty
}

// slot returns where bucket number n is kept, widening the array to include it.
func (g *grid) slot(n int64) **Bucket {
	if i := uint64(n - g.first); i < uint64(len(g.cells)) {
		return &g.cells[i]
	}
	i := g.extend(n) // before reading g.cells, which it replaces
	return &g.cells[i]
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

// get returns bucket number n, nil when there is none.
func (g *grid) get(n int64) *Bucket {
	i := n - g.first
	if uint64(i) >= uint64(len(g.cells)) {
		return nil
	}
	return g.cells[i]
}

// add puts b in the grid, merging it into the bucket already there, which it then replaces
// as the owner of b's start: b is not used afterwards.
func (g *grid) add(b *Bucket) {
	n := floorDiv(b.StartMS, g.size)
	p := g.slot(n)
	if *p == nil {
		b.StartMS = n * g.size
		*p = b
		return
	}
	(*p).merge(b)
}

// widen merges the buckets into buckets size ms wide. The buckets that become one are
// merged together in one pass (see Bucket.mergeAll), with scratch as working memory.
func (g *grid) widen(size int64, scratch *sparseScratch) {
	old := g.cells
	*g = grid{size: size}
	var group []*Bucket
	for i := 0; i < len(old); {
		b := old[i]
		i++
		if b == nil {
			continue
		}
		n := floorDiv(b.StartMS, size)
		group = group[:0]
		for ; i < len(old); i++ {
			o := old[i]
			if o == nil {
				continue
			}
			if floorDiv(o.StartMS, size) != n {
				break
			}
			group = append(group, o)
		}
		b.StartMS = n * size
		b.mergeAll(group, scratch)
		*g.slot(n) = b
	}
}

// list returns the buckets in time order.
func (g *grid) list() []*Bucket {
	out := make([]*Bucket, 0, len(g.cells))
	for _, b := range g.cells {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}

// clone returns a deep copy of g.
func (g *grid) clone() grid {
	c := grid{size: g.size, first: g.first, cells: make([]*Bucket, len(g.cells))}
	for i, b := range g.cells {
		if b != nil {
			c.cells[i] = b.clone()
		}
	}
	return c
}

// mergeFrom adds copies of o's buckets (of the same size) to g.
func (g *grid) mergeFrom(o *grid) {
	for _, ob := range o.cells {
		if ob == nil {
			continue
		}
		p := g.slot(floorDiv(ob.StartMS, g.size))
		if *p == nil {
			*p = ob.clone()
		} else {
			(*p).merge(ob)
		}
	}
}

func floorDiv(t, size int64) int64 {
	q := t / size
	if t%size < 0 {
		q--
	}
	return q
}
