package agg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Hist is a mergeable log-linear (HDR-style) histogram of response times. Values are kept in
// integer units; a value v lands in a bucket whose width is at most v/2^(subBits-1), so with
// 11 bits every value is known to within 0.1% and values below 2,048 units are exact.
//
// A run-level histogram counts in milliseconds while every value is a whole number of them
// (JMeter writes integers), which makes values below 2,048 ms exact and keeps the counts
// small and cache-friendly; at the first fractional value (k6) it converts itself to
// microseconds (values counted before the switch keep their millisecond bucket's lower
// edge, so they are then within 0.2%). Coarse per-bucket histograms always count rounded
// milliseconds.
//
// Counts are stored densely but only over the range of indices actually used, so a histogram
// of a label whose times span 1–200 ms costs a few KB, not the full 1 µs–1 h range.
type Hist struct {
	subBits uint8
	unitUS  int64 // microseconds per unit
	lo      int   // index of counts[0]
	counts  []uint64
	total   uint64
	min     int64 // in units; valid when total > 0
	max     int64
}

const (
	fineSubBits   = 11 // ≤ 0.1% relative bucket width
	coarseSubBits = 7  // ≤ 1.6% relative bucket width
	maxIndex      = 64 << 10
)

// NewHist returns a run-level histogram: microseconds, within 0.1% (3 significant digits).
func NewHist() *Hist { return &Hist{subBits: fineSubBits, unitUS: 1000} }

// NewCoarseHist returns a per-time-bucket histogram: milliseconds, within about 1.6%
// (2 significant digits), which keeps thousands of buckets cheap.
func NewCoarseHist() *Hist { return &Hist{subBits: coarseSubBits, unitUS: 1000} }

// Fine reports whether h has the run-level precision (0.1%) rather than the coarse one.
func (h *Hist) Fine() bool { return h.subBits == fineSubBits }

// Coarse returns h at the coarse precision (about 1.6%, rounded milliseconds), h itself if
// it already is. Merging must use one precision: a selection that meets both (slices stored
// before they were fine, next to newer ones) merges at the coarse one.
func (h *Hist) Coarse() *Hist {
	if h.subBits == coarseSubBits {
		return h
	}
	c := NewCoarseHist()
	for i, n := range h.counts {
		if n != 0 {
			lo, _ := h.bounds(h.lo + i)
			c.add((int64(lo)*h.unitUS+500)/1000, n)
		}
	}
	if h.total > 0 {
		c.min, c.max = (h.min*h.unitUS+500)/1000, (h.max*h.unitUS+500)/1000
	}
	return c
}

// adaptive reports whether h may switch from milliseconds to microseconds.
func (h *Hist) adaptive() bool { return h.subBits == fineSubBits }

// toMicros re-counts a millisecond histogram in microseconds. Each bucket moves to the
// microsecond bucket of its lower edge, which keeps every value within the same precision.
func (h *Hist) toMicros() {
	old := *h
	*h = Hist{subBits: old.subBits, unitUS: 1}
	for i, c := range old.counts {
		if c != 0 {
			lo, _ := old.bounds(old.lo + i)
			h.add(int64(lo)*1000, c)
		}
	}
	if old.total > 0 {
		h.min, h.max = old.min*1000, old.max*1000
	}
}

func (h *Hist) index(v uint64) int { return bucketIndex(v, uint(h.subBits)) }

// bounds returns the lowest and highest value (in units) that share bucket idx.
func (h *Hist) bounds(idx int) (uint64, uint64) { return bucketBounds(idx, uint(h.subBits)) }

// bucketIndex is the log-linear bucket of v with s sub-bucket bits: values below 2^s have
// their own bucket, and each further power of two is split into 2^(s-1) equal buckets.
func bucketIndex(v uint64, s uint) int {
	if v < 1<<s {
		return int(v)
	}
	k := uint(bits.Len64(v)) - s
	return int(uint64(k)<<(s-1) + v>>k)
}

// bucketBounds returns the lowest and highest value that share bucket idx.
func bucketBounds(idx int, s uint) (uint64, uint64) {
	if idx < 1<<s {
		return uint64(idx), uint64(idx)
	}
	k := uint(idx>>(s-1)) - 1
	m := uint64(idx) - uint64(k)<<(s-1)
	lo := m << k
	return lo, lo + 1<<k - 1
}

// RecordMS adds one response time given in (possibly fractional) milliseconds.
func (h *Hist) RecordMS(ms float64) {
	if !(ms > 0) { // also catches NaN
		ms = 0
	}
	us := int64(math.Round(ms * 1000))
	if ms > 1e12 {
		us = 1e15
	}
	h.RecordUS(us)
}

// RecordUS adds one response time given in microseconds.
func (h *Hist) RecordUS(us int64) {
	if us < 0 {
		us = 0
	}
	switch {
	case h.unitUS == 1:
		h.add(us, 1)
	case !h.adaptive():
		h.add((us+500)/1000, 1)
	case us%1000 == 0:
		h.add(us/1000, 1)
	default:
		h.toMicros()
		h.add(us, 1)
	}
}

// record adds one response time, given in microseconds and, when whole is set, as a whole
// number ms of milliseconds whose fine bucket index is idx, which spares a run-level
// histogram that counts milliseconds working the index out again.
func (h *Hist) record(us, ms int64, idx int, whole bool) {
	if whole && h.unitUS == 1000 && h.subBits == fineSubBits {
		h.addIndex(ms, idx, 1)
		return
	}
	h.RecordUS(us)
}

func (h *Hist) add(v int64, n uint64) { h.addIndex(v, h.index(uint64(v)), n) }

// addIndex adds n values v, whose bucket index is idx.
func (h *Hist) addIndex(v int64, idx int, n uint64) {
	i := idx - h.lo
	if uint(i) < uint(len(h.counts)) {
		h.counts[i] += n
	} else {
		h.grow(idx)
		h.counts[idx-h.lo] += n
	}
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if h.total == 0 || v > h.max {
		h.max = v
	}
	h.total += n
}

// addIndices adds one value per entry of idx, each a bucket index of a millisecond
// histogram at the fine precision, the values ranging from lo to hi ms.
func (h *Hist) addIndices(idx []uint16, lo, hi int64) {
	if len(idx) == 0 {
		return
	}
	h.grow(h.index(uint64(lo)))
	h.grow(h.index(uint64(hi)))
	c, base := h.counts, h.lo
	for _, i := range idx {
		c[int(i)-base]++
	}
	if h.total == 0 || lo < h.min {
		h.min = lo
	}
	if h.total == 0 || hi > h.max {
		h.max = hi
	}
	h.total += uint64(len(idx))
}

// grow widens the stored index range to include idx, leaving some slack on the side it grows.
func (h *Hist) grow(idx int) {
	if len(h.counts) == 0 {
		// Coarse histograms are small: cover everything from 0 at once instead of growing
		// a few entries at a time, which dominated the cost of short time buckets.
		if h.unitUS != 1 && idx < 1024 {
			h.lo = 0
			h.counts = make([]uint64, idx+1, max(2*idx, 64))
			return
		}
		h.lo = idx
		h.counts = make([]uint64, 1, 64)
		return
	}
	hi := h.lo + len(h.counts) // exclusive
	if idx >= h.lo && idx < hi {
		return
	}
	if idx >= hi {
		h.counts = append(h.counts, make([]uint64, idx-hi+1)...)
		return
	}
	slack := len(h.counts) / 2
	newLo := max(idx-slack, 0)
	nc := make([]uint64, hi-newLo)
	copy(nc[h.lo-newLo:], h.counts)
	h.counts = nc
	h.lo = newLo
}

// Count is the number of recorded values.
func (h *Hist) Count() uint64 { return h.total }

func (h *Hist) toMS(v int64) float64 { return float64(v*h.unitUS) / 1000 }

// MinMS is the smallest recorded value in milliseconds (exact in the histogram's unit).
func (h *Hist) MinMS() float64 { return h.toMS(h.min) }

// MaxMS is the largest recorded value in milliseconds (exact in the histogram's unit).
func (h *Hist) MaxMS() float64 { return h.toMS(h.max) }

// Rank is the 1-based nearest rank of percentile p (0 < p ≤ 100) among n values:
// ceil(p/100·n), guarded against floating-point error so that 95% of 20,700 is 19,665.
func Rank(p float64, n uint64) uint64 {
	if n == 0 {
		return 0
	}
	x := p / 100 * float64(n)
	r := math.Ceil(x - 1e-9*math.Max(1, x))
	switch {
	case r < 1:
		return 1
	case r > float64(n):
		return n
	}
	return uint64(r)
}

// PercentileMS returns the nearest-rank percentile p (0–100) in milliseconds: the value of
// rank ceil(p/100·n) in sorted order, within the histogram's precision and clamped to the
// exact min and max. It returns 0 for an empty histogram.
func (h *Hist) PercentileMS(p float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := Rank(p, h.total)
	if rank == h.total {
		return h.toMS(h.max) // the largest value is known exactly
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum < rank {
			continue
		}
		lo, _ := h.bounds(h.lo + i)
		vi := int64(lo)
		vi = max(vi, h.min)
		vi = min(vi, h.max)
		return h.toMS(vi)
	}
	return h.toMS(h.max)
}

// Merge adds every value of o to h. Both must have the same precision and unit.
func (h *Hist) Merge(o *Hist) error {
	if o == nil || o.total == 0 {
		return nil
	}
	if h.subBits != o.subBits {
		return fmt.Errorf("cannot merge histograms of different precision (%d and %d bits)", h.subBits, o.subBits)
	}
	if h.unitUS != o.unitUS {
		if !h.adaptive() {
			return fmt.Errorf("cannot merge histograms of different units (%dµs and %dµs)", h.unitUS, o.unitUS)
		}
		if h.unitUS != 1 {
			h.toMicros()
		} else {
			o = o.Clone()
			o.toMicros()
		}
	}
	first := h.total == 0
	h.grow(o.lo)
	h.grow(o.lo + len(o.counts) - 1)
	for i, c := range o.counts {
		h.counts[o.lo+i-h.lo] += c
	}
	if first || o.min < h.min {
		h.min = o.min
	}
	if first || o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	return nil
}

// Clone returns an independent copy of h.
func (h *Hist) Clone() *Hist {
	c := *h
	c.counts = append([]uint64(nil), h.counts...)
	return &c
}

const histMagic = 'H'

// MarshalBinary encodes h compactly: a small header, then (index gap, count) pairs of the
// non-empty buckets as varints. A typical label costs a few hundred bytes.
func (h *Hist) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 32+4*len(h.counts))
	b = appendHistHeader(b, h.subBits, h.unitUS, h.total, h.min, h.max)
	prev := 0
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		idx := h.lo + i
		b = binary.AppendUvarint(b, uint64(idx-prev))
		b = binary.AppendUvarint(b, c)
		prev = idx
	}
	return b, nil
}

func appendHistHeader(b []byte, subBits uint8, unitUS int64, total uint64, lo, hi int64) []byte {
	if total == 0 {
		lo, hi = 0, 0
	}
	b = append(b, histMagic, 1, subBits, 0)
	b = binary.AppendUvarint(b, uint64(unitUS))
	b = binary.AppendUvarint(b, total)
	b = binary.AppendUvarint(b, uint64(lo))
	return binary.AppendUvarint(b, uint64(hi))
}

var errBadHist = errors.New("not a valid histogram encoding")

// histHeader is the fixed part of an encoded histogram.
type histHeader struct {
	subBits         uint8
	unitUS          int64
	total, min, max uint64
}

// parseHistHeader checks and decodes the header and returns it with the cell list after it.
func parseHistHeader(data []byte) (histHeader, []byte, error) {
	if len(data) < 4 || data[0] != histMagic || data[1] != 1 || data[2] < 2 || data[2] > 20 || data[3] != 0 {
		return histHeader{}, nil, errBadHist
	}
	hd := histHeader{subBits: data[2]}
	data = data[4:]
	var vals [4]uint64
	for i := range vals {
		v, k := binary.Uvarint(data)
		if k <= 0 {
			return histHeader{}, nil, errBadHist
		}
		vals[i] = v
		data = data[k:]
	}
	if vals[0] != 1 && vals[0] != 1000 {
		return histHeader{}, nil, errBadHist
	}
	if vals[2] > vals[3] || vals[3] > 1<<50 {
		return histHeader{}, nil, errBadHist
	}
	hd.unitUS, hd.total, hd.min, hd.max = int64(vals[0]), vals[1], vals[2], vals[3]
	return hd, data, nil
}

// walkCells decodes a list of (index gap, count) varint pairs, calling fn (if not nil) for
// each non-empty bucket in index order. It returns the sum of the counts and the first and
// last index, and fails on a malformed list.
func walkCells(data []byte, fn func(idx int, c uint64)) (sum uint64, first, last int, err error) {
	idx := 0
	none := true
	for len(data) > 0 {
		gap, k := binary.Uvarint(data)
		if k <= 0 || (gap == 0 && !none) || gap > maxIndex {
			return 0, 0, 0, errBadHist
		}
		data = data[k:]
		c, k := binary.Uvarint(data)
		if k <= 0 || c == 0 {
			return 0, 0, 0, errBadHist
		}
		data = data[k:]
		idx += int(gap)
		if idx > maxIndex || sum+c < sum {
			return 0, 0, 0, errBadHist
		}
		if none {
			first, none = idx, false
		}
		last = idx
		sum += c
		if fn != nil {
			fn(idx, c)
		}
	}
	return sum, first, last, nil
}

// checkCells validates an encoded cell list against its header.
func checkCells(hd histHeader, cells []byte) error {
	sum, first, last, err := walkCells(cells, nil)
	if err != nil || sum != hd.total {
		return errBadHist
	}
	// min and max are exact, so they lie in or (after a ms→µs conversion, which moves
	// buckets to their lower edge) above the first and last non-empty bucket.
	if sum > 0 && (bucketIndex(hd.min, uint(hd.subBits)) < first || bucketIndex(hd.max, uint(hd.subBits)) < last) {
		return errBadHist
	}
	return nil
}

// UnmarshalBinary decodes what MarshalBinary wrote, checking that it is consistent.
func (h *Hist) UnmarshalBinary(data []byte) error {
	hd, cells, err := parseHistHeader(data)
	if err != nil {
		return err
	}
	if err := checkCells(hd, cells); err != nil {
		return err
	}
	n := Hist{subBits: hd.subBits, unitUS: hd.unitUS}
	_, _, _, _ = walkCells(cells, func(idx int, c uint64) {
		n.grow(idx)
		n.counts[idx-n.lo] += c
	})
	if hd.total > 0 {
		n.total = hd.total
		n.min, n.max = int64(hd.min), int64(hd.max)
	}
	*h = n
	return nil
}

// MergeBinary adds an encoded histogram (as MarshalBinary or SparseHist.MarshalBinary wrote
// it) to h without building it first, which is what merging many stored slices wants. h is
// left unchanged when data is invalid or of another precision.
func (h *Hist) MergeBinary(data []byte) error {
	hd, cells, err := parseHistHeader(data)
	if err != nil {
		return err
	}
	if err := checkCells(hd, cells); err != nil {
		return err
	}
	if hd.total == 0 {
		return nil
	}
	if hd.subBits != h.subBits || hd.unitUS != h.unitUS {
		var o Hist
		if err := o.UnmarshalBinary(data); err != nil {
			return err
		}
		return h.Merge(&o)
	}
	first := h.total == 0
	_, _, _, _ = walkCells(cells, func(idx int, c uint64) {
		h.grow(idx)
		h.counts[idx-h.lo] += c
	})
	if first || int64(hd.min) < h.min {
		h.min = int64(hd.min)
	}
	if first || int64(hd.max) > h.max {
		h.max = int64(hd.max)
	}
	h.total += hd.total
	return nil
}
