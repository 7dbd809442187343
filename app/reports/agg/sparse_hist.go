package agg

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// SparseHist is a histogram at the run-level precision (values within 0.1%, whole
// milliseconds below 2,048 ms exact, switching to microseconds at the first fractional
// value like Hist) that keeps only its non-empty buckets, as the varint-delta list of
// (index gap, count) pairs that Hist.MarshalBinary writes. It is what every label's time
// slice holds: thousands of slices with a few hundred distinct values each cost 2–3 bytes per
// value instead of a dense array per slice.
//
// Recording appends the bucket index to a pending list; when the Aggregator seals a slice
// its samples have moved past, or once the list is long enough (see maxPending), the list is
// added up in the Aggregator's tally (or, without one, sorted) and merged into the encoded
// list, so a value costs a share of one linear pass and of one sequential merge. At most two
// slices per label hold a pending list, of at most maxPending two-byte entries, and sealing
// hands the list's memory on to the next slice. Merging two SparseHists is exact.
//
// The encoded list is never changed in place (a merge writes a new one), so Clone shares it.
type SparseHist struct {
	unitUS int64    // microseconds per unit: 1000 (ms) or 1
	cells  []byte   // (index gap, count) uvarint pairs in index order, counts > 0
	n      int      // buckets in cells
	pend   []uint16 // bucket indices, which are below 2^16 (see tally)
	total  uint64
	min    int64 // in units; valid when total > 0
	max    int64
}

// maxPending is the longest a pending list gets before it is merged: 8 KiB, a few times the
// encoded size of a busy slice, so that most slices are merged once, when sealed. Once the
// slices' encoded size nears the Aggregator's budget, lists are merged as soon as they are
// twice as long as the encoded list (and minPending long), so that the size it checks
// against the budget lags the values recorded by little.
const (
	maxPending = 4096
	minPending = 128
)

// NewSparseHist returns an empty sparse histogram counting in milliseconds.
func NewSparseHist() *SparseHist { return &SparseHist{unitUS: 1000} }

// Count is the number of recorded values.
func (s *SparseHist) Count() uint64 { return s.total }

// Size is the memory the histogram's buckets take, in bytes (encoded list and pending list).
func (s *SparseHist) Size() int { return len(s.cells) + 2*len(s.pend) }

// Buckets is the number of non-empty buckets (after folding in pending values).
func (s *SparseHist) Buckets() int {
	s.flush(nil)
	return s.n
}

// RecordMS adds one response time given in (possibly fractional) milliseconds.
func (s *SparseHist) RecordMS(ms float64) { s.record(toUS(ms), nil) }

// RecordUS adds one response time given in microseconds.
func (s *SparseHist) RecordUS(us int64) { s.record(us, nil) }

// record adds one value and returns the change in encoded bytes, which the Aggregator
// counts against its budget. scratch, if not nil, is a reusable buffer for merges.
func (s *SparseHist) record(us int64, scratch *sparseScratch) int {
	if us < 0 {
		us = 0
	}
	grew := 0
	v := us
	if s.unitUS != 1 {
		if us%1000 != 0 {
			grew = s.toMicros(scratch)
		} else {
			v = us / 1000
		}
	}
	return grew + s.recordIndex(v, bucketIndex(uint64(v), fineSubBits), scratch)
}

// recordIndex adds the value v (in s's unit) whose bucket index is idx and returns the
// change in encoded bytes. Sample writes out the common case (a pending list with room).
func (s *SparseHist) recordIndex(v int64, idx int, scratch *sparseScratch) int {
	if s.total == 0 || v < s.min {
		s.min = v
	}
	if s.total == 0 || v > s.max {
		s.max = v
	}
	s.total++
	if s.pend == nil && scratch != nil {
		s.pend = scratch.takePending()
	}
	s.pend = append(s.pend, uint16(idx))
	if len(s.pend) >= maxPending || scratch != nil && scratch.precise && len(s.pend) >= max(minPending, 2*s.n) {
		return s.flush(scratch)
	}
	return 0
}

// flush folds the pending values into the encoded list and returns the change in its size.
func (s *SparseHist) flush(scratch *sparseScratch) int {
	if len(s.pend) == 0 {
		return 0
	}
	before := len(s.cells)
	if scratch != nil {
		t := scratch.tally()
		t.addCells(s.cells)
		t.addPending(s.pend)
		w := cellWriter{b: scratch.buf[:0]}
		t.write(&w)
		s.setCells(w, scratch)
		s.pend = s.pend[:0]
		return len(s.cells) - before
	}
	slices.Sort(s.pend)
	w := cellWriter{b: make([]byte, 0, len(s.cells)+4*len(s.pend))}
	r := cellReader{b: s.cells}
	idx, c, ok := r.next()
	p := s.pend
	for len(p) > 0 || ok {
		if len(p) == 0 || (ok && idx < int(p[0])) {
			w.put(idx, c)
			idx, c, ok = r.next()
			continue
		}
		pi, pc := int(p[0]), uint64(0)
		for len(p) > 0 && int(p[0]) == pi {
			pc++
			p = p[1:]
		}
		if ok && idx == pi {
			pc += c
			idx, c, ok = r.next()
		}
		w.put(pi, pc)
	}
	s.setCells(w, scratch)
	s.pend = s.pend[:0]
	return len(s.cells) - before
}

// setCells takes a freshly written list as the encoded list, copying it out of the scratch
// buffer (and to its exact size) so that nothing shares the buffer.
func (s *SparseHist) setCells(w cellWriter, scratch *sparseScratch) {
	if scratch != nil {
		s.cells = append([]byte(nil), w.b...)
		scratch.buf = w.b[:0]
	} else {
		s.cells = slices.Clip(w.b)
	}
	s.n = w.n
}

// seal folds in pending values and releases the pending list: a slice the samples have
// moved past keeps only its encoded list.
func (s *SparseHist) seal(scratch *sparseScratch) int {
	grew := s.flush(scratch)
	if scratch != nil && s.pend != nil {
		scratch.givePending(s.pend)
	}
	s.pend = nil
	return grew
}

// toMicros re-counts a millisecond histogram in microseconds, each bucket moving to the
// microsecond bucket of its lower edge (neighbours that land together are added up).
func (s *SparseHist) toMicros(scratch *sparseScratch) int {
	grew := s.flush(scratch)
	before := len(s.cells)
	w := cellWriter{}
	r := cellReader{b: s.cells}
	prev, acc := -1, uint64(0)
	for idx, c, ok := r.next(); ok; idx, c, ok = r.next() {
		lo, _ := bucketBounds(idx, fineSubBits)
		ni := bucketIndex(lo*1000, fineSubBits)
		if ni != prev && acc > 0 {
			w.put(prev, acc)
			acc = 0
		}
		prev = ni
		acc += c
	}
	if acc > 0 {
		w.put(prev, acc)
	}
	s.cells, s.n = slices.Clip(w.b), w.n
	if s.total > 0 {
		s.min, s.max = s.min*1000, s.max*1000
	}
	s.unitUS = 1
	return grew + len(s.cells) - before
}

// Merge adds every value of o to s and returns the change in s's encoded size.
func (s *SparseHist) Merge(o *SparseHist) int { return s.merge(o, nil) }

func (s *SparseHist) merge(o *SparseHist, scratch *sparseScratch) int {
	if o == nil || o.total == 0 {
		return 0
	}
	grew := s.flush(scratch)
	o.flush(nil)
	if s.unitUS != o.unitUS {
		if s.unitUS != 1 {
			grew += s.toMicros(scratch)
		} else {
			o = o.Clone()
			o.toMicros(nil)
		}
	}
	before := len(s.cells)
	var w cellWriter
	if scratch != nil {
		w.b = scratch.buf[:0]
	}
	a, b := cellReader{b: s.cells}, cellReader{b: o.cells}
	ai, ac, aok := a.next()
	bi, bc, bok := b.next()
	for aok || bok {
		switch {
		case aok && (!bok || ai < bi):
			w.put(ai, ac)
			ai, ac, aok = a.next()
		case bok && (!aok || bi < ai):
			w.put(bi, bc)
			bi, bc, bok = b.next()
		default:
			w.put(ai, ac+bc)
			ai, ac, aok = a.next()
			bi, bc, bok = b.next()
		}
	}
	s.setCells(w, scratch)
	if s.total == 0 || o.min < s.min {
		s.min = o.min
	}
	if s.total == 0 || o.max > s.max {
		s.max = o.max
	}
	s.total += o.total
	return grew + len(s.cells) - before
}

// mergeAll adds every value of os to s, like merging them one by one but in a single pass
// over their lists, added up in the scratch tally.
func (s *SparseHist) mergeAll(os []*SparseHist, scratch *sparseScratch) {
	unit := s.unitUS
	for _, o := range os {
		unit = min(unit, o.unitUS)
	}
	if unit != 1000 || scratch == nil {
		for _, o := range os {
			s.merge(o, scratch)
		}
		return
	}
	s.flush(scratch)
	for _, o := range os {
		o.flush(scratch) // before tallying: a flush uses the tally too
	}
	t := scratch.tally()
	t.addCells(s.cells)
	for _, o := range os {
		if o.total == 0 {
			continue
		}
		t.addCells(o.cells)
		if s.total == 0 || o.min < s.min {
			s.min = o.min
		}
		if s.total == 0 || o.max > s.max {
			s.max = o.max
		}
		s.total += o.total
	}
	w := cellWriter{b: scratch.buf[:0]}
	t.write(&w)
	s.setCells(w, scratch)
}

// Clone returns an independent copy of s (sharing the immutable encoded list).
func (s *SparseHist) Clone() *SparseHist {
	s.flush(nil)
	c := *s
	c.pend = nil
	return &c
}

// Hist returns s as a dense Hist, for reading percentiles.
func (s *SparseHist) Hist() *Hist {
	s.flush(nil)
	h := &Hist{subBits: fineSubBits, unitUS: s.unitUS}
	r := cellReader{b: s.cells}
	for idx, c, ok := r.next(); ok; idx, c, ok = r.next() {
		h.grow(idx)
		h.counts[idx-h.lo] += c
	}
	if s.total > 0 {
		h.total, h.min, h.max = s.total, s.min, s.max
	}
	return h
}

// PercentileMS returns the nearest-rank percentile p (0–100) in milliseconds, as Hist does.
func (s *SparseHist) PercentileMS(p float64) float64 {
	if s.total == 0 {
		return 0
	}
	rank := Rank(p, s.total)
	if rank == s.total {
		return float64(s.max*s.unitUS) / 1000
	}
	s.flush(nil)
	var cum uint64
	r := cellReader{b: s.cells}
	for idx, c, ok := r.next(); ok; idx, c, ok = r.next() {
		if cum += c; cum >= rank {
			lo, _ := bucketBounds(idx, fineSubBits)
			v := min(max(int64(lo), s.min), s.max)
			return float64(v*s.unitUS) / 1000
		}
	}
	return float64(s.max*s.unitUS) / 1000
}

// MarshalBinary encodes s in Hist's format, so a stored slice decodes as a Hist (or merges
// into one with Hist.MergeBinary).
func (s *SparseHist) MarshalBinary() ([]byte, error) {
	s.flush(nil)
	b := make([]byte, 0, 24+len(s.cells))
	b = appendHistHeader(b, fineSubBits, s.unitUS, s.total, s.min, s.max)
	return append(b, s.cells...), nil
}

// sparseScratch is the Aggregator's reusable memory for SparseHist merges: the buffer a
// merged list is written into before being copied out at its exact size, the tally that
// adds values up, and pending lists of sealed slices waiting for new slices to take them.
type sparseScratch struct {
	buf     []byte
	t       *tally
	free    [][]uint16
	fine    []*SparseHist // Bucket.mergeAll's list
	precise bool          // merge pending lists early (see maxPending)
}

// maxFreePending bounds the pending lists kept for reuse.
const maxFreePending = 64

func (sc *sparseScratch) takePending() []uint16 {
	if n := len(sc.free); n > 0 {
		p := sc.free[n-1]
		sc.free = sc.free[:n-1]
		return p
	}
	return make([]uint16, 0, 64)
}

func (sc *sparseScratch) givePending(p []uint16) {
	if len(sc.free) < maxFreePending {
		sc.free = append(sc.free, p[:0])
	}
}

// tally returns the scratch tally, made on first use.
func (sc *sparseScratch) tally() *tally {
	if sc.t == nil {
		sc.t = &tally{counts: make([]uint64, tallySize), used: make([]uint64, tallySize/64), lo: tallySize / 64}
	}
	return sc.t
}

// tally adds up counts by bucket index (below 2^16: at 11 sub-bucket bits the largest is
// 53<<10 + 2047) in a dense array, and marks the indices used in a bitmap, which lists them
// in order when written out: cheaper than sorting the values, whose fixed costs dominate for
// the few hundred values of a slice. Both arrays are all zero between uses.
type tally struct {
	counts []uint64
	used   []uint64
	lo, hi int // range of bitmap words that may be non-zero; lo > hi when none
}

const tallySize = 1 << 16

func (t *tally) addPending(p []uint16) {
	counts, used := t.counts[:tallySize], t.used[:tallySize/64]
	lo, hi := t.lo, t.hi
	for _, v := range p {
		counts[v]++
		used[v>>6] |= 1 << (v & 63)
		lo, hi = min(lo, int(v>>6)), max(hi, int(v>>6))
	}
	t.lo, t.hi = lo, hi
}

func (t *tally) addCells(cells []byte) {
	r := cellReader{b: cells}
	for idx, c, ok := r.next(); ok; idx, c, ok = r.next() {
		t.counts[idx] += c
		t.used[idx>>6] |= 1 << (idx & 63)
		t.lo, t.hi = min(t.lo, idx>>6), max(t.hi, idx>>6)
	}
}

// write appends the counts in index order to w and clears the tally.
func (t *tally) write(w *cellWriter) {
	for i := t.lo; i <= t.hi; i++ {
		for b := t.used[i]; b != 0; b &= b - 1 {
			idx := i<<6 + bits.TrailingZeros64(b)
			w.put(idx, t.counts[idx])
			t.counts[idx] = 0
		}
		t.used[i] = 0
	}
	t.lo, t.hi = tallySize/64, 0
}

// cellWriter appends (index gap, count) pairs.
type cellWriter struct {
	b    []byte
	prev int
	n    int
}

func (w *cellWriter) put(idx int, c uint64) {
	if g := uint64(idx - w.prev); g|c < 0x80 { // both fit one byte, as most do
		w.b = append(w.b, byte(g), byte(c))
	} else {
		w.b = binary.AppendUvarint(w.b, g)
		w.b = binary.AppendUvarint(w.b, c)
	}
	w.prev = idx
	w.n++
}

// cellReader walks a list written by cellWriter (always well-formed: it is never decoded
// from outside data, which goes through Hist.UnmarshalBinary).
type cellReader struct {
	b   []byte
	idx int
}

func (r *cellReader) next() (int, uint64, bool) {
	if len(r.b) >= 2 && r.b[0]|r.b[1] < 0x80 { // both fit one byte, as most do
		r.idx += int(r.b[0])
		c := uint64(r.b[1])
		r.b = r.b[2:]
		return r.idx, c, true
	}
	if len(r.b) == 0 {
		return 0, 0, false
	}
	gap, k := binary.Uvarint(r.b)
	c, k2 := binary.Uvarint(r.b[k:])
	r.b = r.b[k+k2:]
	r.idx += int(gap)
	return r.idx, c, true
}
