// Package agg turns a stream of samples into the figures Scanboard stores and shows: per label
// and for the whole run, counters, response codes, the most frequent errors and mergeable
// histograms (all samples and successful ones); per time bucket the same counters and active
// threads, and for the run's buckets a coarser histogram. It is pure: it imports only parse.
//
// Chart-bucket histograms are kept for the run, not per label: JMeter's percentiles-over-time
// chart is run-wide, and labels × buckets histograms would make memory grow with the number
// of labels (40 labels × 1,000 buckets of even 2 KB is 80 MB), against the flat-memory goal.
// Per label there is a second grid of slices, each with counters and a SparseHist at the
// run-level precision (0.1%), so a time-range selection recomputes the per-label table as
// precisely as the whole-run one. Two budgets bound their memory whatever the run:
// labels × slices stays under Options.MaxSlices, and the slices' encoded histograms under
// Options.SliceHistBytes. Either widens the slices to the next ladder size, merging
// neighbours exactly: a long or busy run gets wider slices, never coarser histograms.
//
// Counting rules: sub-results (Sample.Sub) are kept under their own labels but never counted
// in Overall, because their parent already covers them. JMeter transaction-controller rows
// are ordinary top-level samples under their own labels, flagged Transaction, and Overall
// counts them: Overall is "every top-level sample", which is what the real JMeter truth file
// calls "overall" (its "overall_excluding_transaction_controller_rows" is the JMeter
// dashboard's Total). Callers wanting the latter can merge the non-transaction labels.
package agg

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"scanboard/app/reports/parse"
)

// Options tune an Aggregator; the zero value is sensible.
type Options struct {
	// MaxBuckets caps the number of time buckets; when the run outgrows it the buckets are
	// merged into the next coarser size. 0 means 1,000.
	MaxBuckets int
	// ErrorSlots is how many distinct errors each label tracks exactly; 0 means 100.
	ErrorSlots int
	// MaxSlices caps top-level labels × per-label histogram slices; when a new label or a
	// longer run would exceed it the slices are merged into the next coarser size. 0 means
	// 4,096 (10 s slices for 40 labels over 1,000 s).
	MaxSlices int
	// SliceHistBytes caps the encoded size of all slices' histograms together; past it the
	// slices are merged into the next coarser size until they fit again (or each label has
	// a single slice). 0 means 4 MiB: generated runs of 40 labels need 1.5 MB at 1,000,000
	// rows (10 s slices) and 3.7 MB at 5,000,000 (60 s), and the budget keeps any longer
	// run's peak RSS within a few MiB of those.
	SliceHistBytes int
	// MaxLabels caps the distinct labels (sub-results included) of one run: each costs a
	// fixed amount of memory and a row per stored table, so a file that names every request
	// differently fails instead of growing without bound. 0 means 10,000.
	MaxLabels int
}

// tooManyLabels is what Sample answers past Options.MaxLabels, as a *parse.Error located
// at the sample's line (the caller names the file).
const tooManyLabels = "more than %d distinct labels (this one is %q): Scanboard keeps figures per label, and a run with this many is most likely labelled by URL or with ids; group the requests under fewer names"

// bucketLadder lists the bucket sizes in ms; each divides the next, so coarsening only ever
// merges whole buckets. Past the end sizes keep doubling.
var bucketLadder = [...]int64{1000, 2000, 10000, 20000, 60000, 120000, 600000, 1200000, 3600000, 7200000, 21600000, 43200000, 86400000}

// Label is everything kept for one label (or, in Result.Overall, for the whole run).
type Label struct {
	// The fields are in the order that keeps those every sample touches (the name, the
	// successful-sample staging and the grids) in a few cache lines.
	Name        string
	Transaction bool // JMeter transaction-controller label
	Sub         bool // every sample was a sub-result
	MaxThreads  int
	// All and OK are the run-level histograms of every sample and of successful ones. While
	// aggregating only OK and ko (failures) are recorded, one histogram per sample; All is
	// their merge, filled in by Result.
	OK *Hist
	// okPend holds the bucket indices of successful whole-millisecond samples not yet
	// counted in OK, and okMin and okMax their extremes: a label's histogram spans tens of
	// KB, and with dozens of labels counting each sample straight into it misses the cache
	// far more often than counting a batch of them in one go (see flushOK).
	okPend       []uint16
	okMin, okMax int64

	// slices is the per-label histogram grid (top-level labels only, else nil). lastSlice
	// is where the label's samples go now and prevSlice where they went before: samples
	// near a slice edge alternate between the two, so only a third slice seals prevSlice.
	// While aggregating a slice holds only its histogram: its counters are those of the
	// label's chart buckets it spans (slices are whole multiples of them), which clone adds
	// up, so a sample updates one set of counters instead of two.
	lastSlice *Bucket
	prevSlice *Bucket
	slices    *grid
	buckets   grid // chart buckets, Aggregator.bucketMS wide

	All       *Hist
	ko        *Hist
	ErrorKeys *TopErrors
	// Counters cover every sample of the label. While aggregating they hold only the
	// samples without a start time: the others are counted in the chart buckets, whose
	// counters clone adds up, so a sample updates one set of counters, not two.
	Counters
}

// Bucket is one time slice of a label (or of the run) by sample start time.
type Bucket struct {
	StartMS int64
	Counters
	Hist       *Hist       // coarse histogram of every top-level sample in a run-wide chart bucket, else nil
	Fine       *SparseHist // 0.1% histogram of every sample in a label's slice, else nil
	MaxThreads int         // most active threads seen in the slice
}

type labelKey struct {
	name string
	sub  bool
}

// Aggregator accumulates samples. It implements parse.SampleSink. It is not safe for
// concurrent use; aggregate files in parallel with one Aggregator each and Merge them.
type Aggregator struct {
	opt      Options
	labels   map[labelKey]*Label
	last     *Label
	bucketMS int64
	ladder   int
	minStart int64
	maxStart int64
	run      grid // run-wide histogram and threads per bucket
	// keys caches the bucket and slice numbers of the two most recent buckets that samples
	// fell in, so that most samples find theirs with a comparison instead of two divisions.
	keys [2]timeKey
	// spanLimit is the span of start times (maxStart-minStart) at which track must check
	// whether the buckets or slices have to widen; below it a new extreme start time only
	// moves minStart or maxStart.
	spanLimit int64
	sliceMS   int64 // width of the per-label slices; a ladder size ≥ bucketMS
	topLevel  int   // number of top-level labels, for the MaxSlices budget
	// histBytes is the encoded size of every slice histogram, for the SliceHistBytes
	// budget; scratch is the buffer their merges write into.
	histBytes int
	scratch   sparseScratch
	// cache finds a label by the address of its name's bytes. Parsers intern labels, so a
	// repeated label arrives as the very same string and skips hashing it. Only Label.Name's
	// own address is cached: the Label keeps that memory alive, so an address match cannot
	// be a different string.
	cache [256]*Label
}

// New returns an empty Aggregator.
func New(opt Options) *Aggregator {
	if opt.MaxBuckets <= 0 {
		opt.MaxBuckets = 1000
	}
	if opt.ErrorSlots <= 0 {
		opt.ErrorSlots = 100
	}
	if opt.MaxSlices <= 0 {
		opt.MaxSlices = 4096
	}
	if opt.SliceHistBytes <= 0 {
		opt.SliceHistBytes = 4 << 20
	}
	if opt.MaxLabels <= 0 {
		opt.MaxLabels = 10_000
	}
	a := &Aggregator{opt: opt, labels: make(map[labelKey]*Label), bucketMS: bucketLadder[0], sliceMS: bucketLadder[0], run: grid{size: bucketLadder[0]}}
	a.resetKeys()
	return a
}

// timeKey locates a bucket: its start, its number (start/bucketMS) and the number and start
// of the slice that holds it.
type timeKey struct {
	start, bucket     int64
	slice, sliceStart int64
}

// resetKeys empties the key cache, which must happen whenever the bucket or slice size
// changes. The empty entries cannot match a start time: their bucket lies below any.
func (a *Aggregator) resetKeys() {
	a.keys = [2]timeKey{{start: math.MinInt64}, {start: math.MinInt64}}
}

// otherKeys returns where start time t goes when it is not in the most recent bucket (which
// Sample checks): the result is valid until the next call.
func (a *Aggregator) otherKeys(t int64) *timeKey {
	if k := a.keys[1]; uint64(t-k.start) < uint64(a.bucketMS) {
		a.keys[0], a.keys[1] = k, a.keys[0]
		return &a.keys[0]
	}
	n := floorDiv(t, a.bucketMS)
	k := timeKey{start: n * a.bucketMS, bucket: n}
	k.slice = floorDiv(k.start, a.sliceMS)
	k.sliceStart = k.slice * a.sliceMS
	a.keys[0], a.keys[1] = k, a.keys[0]
	return &a.keys[0]
}

func (a *Aggregator) newLabel(name string, sub bool) *Label {
	l := &Label{Name: name, Sub: sub, OK: NewHist(), ko: NewHist(), ErrorKeys: newTopErrors(a.opt.ErrorSlots), buckets: grid{size: a.bucketMS}}
	if !sub {
		l.slices = &grid{size: a.sliceMS}
	}
	return l
}

// Sample adds one sample. It fails only when the sample would be a label past
// Options.MaxLabels.
func (a *Aggregator) Sample(s *parse.Sample) error {
	l := a.last
	if l == nil || unsafe.StringData(l.Name) != unsafe.StringData(s.Label) || len(l.Name) != len(s.Label) || l.Sub != s.Sub {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s.Label)))
		l = a.cache[(p>>3^p>>11)&255]
		if l == nil || uintptr(unsafe.Pointer(unsafe.StringData(l.Name))) != p || len(l.Name) != len(s.Label) || l.Sub != s.Sub {
			var err error
			if l, err = a.findLabel(s); err != nil {
				return err
			}
		}
		a.last = l
	}
	if s.Transaction {
		l.Transaction = true
	}
	// The sample's fields are read one by one where needed: the parser has just written
	// them one by one, and copying them to a struct reads two at a time, which the CPU
	// cannot forward from the pending stores (a stall per sample).
	start, elapsed := s.StartMS, s.ElapsedMS
	var end int64
	if start != 0 {
		end = start + int64(math.Ceil(elapsed))
	}
	l.MaxThreads = max(l.MaxThreads, s.Threads)
	// A whole number of milliseconds (JMeter writes nothing else) lands in the same bucket
	// index of every millisecond histogram, so it is worked out once for all of them.
	var ms int64
	var fine int
	whole := false
	if m := int64(elapsed); float64(m) == elapsed && m >= 0 && m <= 1e12 {
		ms, fine, whole = m, bucketIndex(uint64(m), fineSubBits), true
	}
	us := toUS(elapsed)
	// The common cases of staging an OK value, finding the time keys and buckets, and
	// recording into the slice and run histograms are written out below, with calls for
	// the rest: the helpers are too big for the compiler to inline, and at a few hundred
	// nanoseconds per row the calls show.
	if s.OK {
		if n := len(l.okPend); whole && n > 0 && n < cap(l.okPend) && n+1 < maxOKPending {
			l.okPend = l.okPend[:n+1]
			l.okPend[n] = uint16(fine)
			l.okMin, l.okMax = min(l.okMin, ms), max(l.okMax, ms)
		} else if whole && l.OK.unitUS == 1000 {
			l.stageOK(ms, fine)
		} else {
			l.flushOK()
			l.OK.RecordUS(us)
		}
	} else {
		l.ko.record(us, ms, fine, whole)
		l.ErrorKeys.Add(s.Code, s.Message, 1)
	}
	if start == 0 {
		l.Counters.addSample(s, end) // the rest are in the buckets
		return nil
	}
	if t := start; t < a.minStart || t > a.maxStart || a.minStart == 0 && a.maxStart == 0 {
		a.track(t)
	}
	var key timeKey // a copy: shrinkSlices below resets the cache
	if k := &a.keys[0]; uint64(start-k.start) < uint64(a.bucketMS) {
		key = *k
	} else {
		key = *a.otherKeys(start)
	}
	var b *Bucket
	if i := uint64(key.bucket - l.buckets.first); i < uint64(len(l.buckets.cells)) && l.buckets.cells[i] != nil {
		b = l.buckets.cells[i]
	} else {
		b = l.bucketAt(&key)
	}
	b.Counters.addSample(s, end)
	b.MaxThreads = max(b.MaxThreads, s.Threads)
	if s.Sub {
		return nil
	}
	h0 := a.histBytes
	sb := l.lastSlice
	if sb == nil || sb.StartMS != key.sliceStart {
		sb = a.openSlice(l, &key) // may seal a slice, which adds to histBytes
	}
	if f := sb.Fine; whole && len(f.pend) < cap(f.pend) && len(f.pend)+1 < maxPending && f.total != 0 && f.unitUS == 1000 && !a.scratch.precise {
		n := len(f.pend)
		f.pend = f.pend[:n+1]
		f.pend[n] = uint16(fine)
		f.min, f.max = min(f.min, ms), max(f.max, ms)
		f.total++
	} else if whole && f.unitUS == 1000 {
		a.histBytes += f.recordIndex(ms, fine, &a.scratch)
	} else {
		a.histBytes += sb.Fine.record(us, &a.scratch)
	}
	if a.histBytes != h0 {
		if a.histBytes > a.opt.SliceHistBytes {
			a.shrinkSlices()
		}
		a.scratch.precise = a.histBytes > a.opt.SliceHistBytes/2
	}
	var rb *Bucket
	if i := uint64(key.bucket - a.run.first); i < uint64(len(a.run.cells)) && a.run.cells[i] != nil {
		rb = a.run.cells[i]
	} else {
		rb = a.runBucketAt(&key)
	}
	if h, ci := rb.Hist, bucketIndex(uint64(ms), coarseSubBits); whole && uint(ci-h.lo) < uint(len(h.counts)) && h.total != 0 {
		h.counts[ci-h.lo]++
		h.min, h.max = min(h.min, ms), max(h.max, ms)
		h.total++
	} else if whole {
		rb.Hist.addIndex(ms, ci, 1)
	} else {
		rb.Hist.RecordUS(us)
	}
	rb.MaxThreads = max(rb.MaxThreads, s.Threads)
	return nil
}

// bucketAt returns the label's chart bucket at key, which it creates if need be.
func (l *Label) bucketAt(key *timeKey) *Bucket {
	b := l.buckets.get(key.bucket)
	if b == nil {
		b = newBucket(key.start)
		l.buckets.set(key.bucket, b)
	}
	return b
}

// runBucketAt returns the run-wide bucket at key, which it creates if need be.
func (a *Aggregator) runBucketAt(key *timeKey) *Bucket {
	b := a.run.get(key.bucket)
	if b == nil {
		b = &Bucket{StartMS: key.start, Hist: NewCoarseHist()}
		a.run.set(key.bucket, b)
	}
	return b
}

// newBucket returns a chart bucket with room for two response codes in the same allocation:
// most buckets see one or two, and the first append would otherwise allocate again.
func newBucket(start int64) *Bucket {
	x := &struct {
		b     Bucket
		codes [2]CodeCount
	}{}
	x.b.StartMS = start
	x.b.Codes = x.codes[:0:2]
	return &x.b
}

// stageOK adds a successful sample of ms milliseconds, whose fine bucket index is idx, to
// the batch waiting to be counted in OK. Sample writes out the common case (a batch under
// way with room); this does the rest.
func (l *Label) stageOK(ms int64, idx int) {
	if len(l.okPend) == 0 {
		l.okMin, l.okMax = ms, ms
	} else {
		l.okMin, l.okMax = min(l.okMin, ms), max(l.okMax, ms)
	}
	l.okPend = append(l.okPend, uint16(idx))
	if len(l.okPend) >= maxOKPending {
		l.flushOK()
	}
}

// maxOKPending is the batch size of stageOK: 2 KiB per label.
const maxOKPending = 1024

// flushOK counts the waiting successful samples in OK. Everything that reads or merges OK
// calls it first.
func (l *Label) flushOK() {
	if len(l.okPend) > 0 {
		l.OK.addIndices(l.okPend, l.okMin, l.okMax)
		l.okPend = l.okPend[:0]
	}
}

// findLabel finds (or creates) the sample's label when neither the previous sample's label
// nor the cache (both compared by address: parsers intern labels, so they nearly always
// answer) has it.
func (a *Aggregator) findLabel(s *parse.Sample) (*Label, error) {
	if last := a.last; last != nil && last.Name == s.Label && last.Sub == s.Sub {
		return last, nil // the same label again, from a parser that does not intern
	}
	k := labelKey{s.Label, s.Sub}
	l := a.labels[k]
	if l == nil {
		if len(a.labels) >= a.opt.MaxLabels {
			return nil, &parse.Error{Line: s.Line, Msg: fmt.Sprintf(tooManyLabels, a.opt.MaxLabels, clipText(s.Label, 200))}
		}
		l = a.newLabel(s.Label, s.Sub)
		a.labels[k] = l
		if !s.Sub {
			a.topLevel++
			a.fitSlices()
		}
	}
	if p := uintptr(unsafe.Pointer(unsafe.StringData(s.Label))); uintptr(unsafe.Pointer(unsafe.StringData(l.Name))) == p {
		a.cache[(p>>3^p>>11)&255] = l
	}
	return l, nil
}

// openSlice makes the slice starting at key the label's current one, sealing the slice
// before the previous one unless the samples are going back to it.
func (a *Aggregator) openSlice(l *Label, key *timeKey) *Bucket {
	if p := l.prevSlice; p != nil && p.StartMS == key.sliceStart {
		l.prevSlice, l.lastSlice = l.lastSlice, p
		return p
	}
	sb := l.slices.get(key.slice)
	if sb == nil {
		sb = &Bucket{StartMS: key.sliceStart, Fine: NewSparseHist()}
		l.slices.set(key.slice, sb)
	}
	if l.lastSlice != nil {
		if p := l.prevSlice; p != nil && p != sb {
			a.histBytes += p.Fine.seal(&a.scratch)
		}
		l.prevSlice = l.lastSlice
	}
	l.lastSlice = sb
	return sb
}

// shrinkSlices widens the slices until their histograms fit SliceHistBytes or every label is
// down to the one slice that spans the run (whose histogram then costs what the label's
// run-level one does).
func (a *Aggregator) shrinkSlices() {
	for a.histBytes > a.opt.SliceHistBytes && floorTo(a.minStart, a.sliceMS) != floorTo(a.maxStart, a.sliceMS) {
		a.resliceTo(nextSize(a.sliceMS))
	}
}

func toUS(ms float64) int64 {
	if !(ms > 0) {
		return 0
	}
	if ms > 1e12 {
		return 1e15
	}
	return int64(math.Round(ms * 1000))
}

func floorTo(t, size int64) int64 {
	q := t / size
	if t%size < 0 {
		q--
	}
	return q * size
}

// track widens the run's time span and coarsens the buckets when it gets too long.
func (a *Aggregator) track(t int64) {
	if a.minStart == 0 && a.maxStart == 0 {
		a.minStart, a.maxStart = t, t
		a.setSpanLimit()
		return
	}
	if t >= a.minStart && t <= a.maxStart {
		return
	}
	a.minStart = min(a.minStart, t)
	a.maxStart = max(a.maxStart, t)
	if a.maxStart-a.minStart < a.spanLimit {
		return
	}
	size := a.bucketMS
	for (a.maxStart-a.minStart)/size >= int64(a.opt.MaxBuckets) {
		a.ladder++
		if a.ladder < len(bucketLadder) {
			size = bucketLadder[a.ladder]
		} else {
			size *= 2
		}
	}
	if size != a.bucketMS {
		a.rebucket(size)
	}
	a.fitSlices()
	a.setSpanLimit()
}

// setSpanLimit works out the shortest span of start times at which the buckets (MaxBuckets)
// or the slices (MaxSlices) would have to widen, so that track need not check before.
func (a *Aggregator) setSpanLimit() {
	lim := int64(a.opt.MaxBuckets) * a.bucketMS
	size := max(a.sliceMS, a.bucketMS)
	labels := int64(max(a.topLevel, 1))
	// fitSlices widens when labels*(span/size+1) > MaxSlices, that is when span/size
	// reaches MaxSlices/labels.
	lim = min(lim, int64(a.opt.MaxSlices)/labels*size)
	a.spanLimit = lim
}

// nextSize is the ladder size after size.
func nextSize(size int64) int64 {
	for _, s := range bucketLadder {
		if s > size {
			return s
		}
	}
	return size * 2
}

// fitSlices coarsens the per-label slices until top-level labels × slices over the run's
// span fits the MaxSlices budget, and never finer than the chart buckets.
func (a *Aggregator) fitSlices() {
	size := max(a.sliceMS, a.bucketMS)
	labels := int64(max(a.topLevel, 1))
	// With more labels than MaxSlices no size fits: stop at one slice spanning the run.
	for span := a.maxStart - a.minStart; labels*(span/size+1) > int64(a.opt.MaxSlices) && span/size > 0; {
		size = nextSize(size)
	}
	if size != a.sliceMS {
		a.resliceTo(size)
	}
	a.setSpanLimit()
}

// resliceTo merges the slices into slices of size ms and recounts their histograms' size.
func (a *Aggregator) resliceTo(size int64) {
	a.sliceMS = size
	a.resetKeys()
	for _, l := range a.labels {
		if l.slices != nil {
			l.slices.widen(size, &a.scratch)
			l.lastSlice, l.prevSlice = nil, nil
		}
	}
	a.recountHist()
}

// recountHist seals every slice histogram and sums their encoded sizes.
func (a *Aggregator) recountHist() {
	n := 0
	for _, l := range a.labels {
		if l.slices == nil {
			continue
		}
		l.slices.each(func(b *Bucket) {
			b.Fine.seal(&a.scratch)
			n += b.Fine.Size()
		})
		l.lastSlice, l.prevSlice = nil, nil
	}
	a.histBytes = n
	a.scratch.precise = a.histBytes > a.opt.SliceHistBytes/2
}

func (a *Aggregator) rebucket(size int64) {
	a.bucketMS = size
	a.resetKeys()
	for _, l := range a.labels {
		l.buckets.widen(size, &a.scratch)
	}
	a.run.widen(size, &a.scratch)
}

func (b *Bucket) merge(o *Bucket) {
	b.mergeCounts(o)
	if o.Fine != nil {
		if b.Fine == nil {
			b.Fine = NewSparseHist()
		}
		b.Fine.Merge(o.Fine)
	}
}

// mergeCounts merges everything of o but its slice histogram.
func (b *Bucket) mergeCounts(o *Bucket) {
	b.Counters.Merge(&o.Counters)
	if o.Hist != nil {
		if b.Hist == nil {
			b.Hist = NewCoarseHist()
		}
		_ = b.Hist.Merge(o.Hist) // same kind by construction
	}
	b.MaxThreads = max(b.MaxThreads, o.MaxThreads)
}

// mergeAll merges the buckets os into b, their slice histograms all at once.
func (b *Bucket) mergeAll(os []*Bucket, scratch *sparseScratch) {
	if len(os) == 0 {
		return
	}
	fine := scratch.fine[:0]
	if b.Fine != nil {
		fine = append(fine, b.Fine)
	}
	for _, o := range os {
		b.mergeCounts(o)
		if o.Fine != nil {
			fine = append(fine, o.Fine)
		}
	}
	if len(fine) > 0 {
		if b.Fine == nil {
			b.Fine = NewSparseHist()
			fine = append([]*SparseHist{b.Fine}, fine...)
		}
		b.Fine.mergeAll(fine[1:], scratch)
	}
	clear(fine)
	scratch.fine = fine[:0]
}

func (b *Bucket) clone() *Bucket {
	c := *b
	c.Codes = append([]CodeCount(nil), b.Codes...)
	if b.Hist != nil {
		c.Hist = b.Hist.Clone()
	}
	if b.Fine != nil {
		c.Fine = b.Fine.Clone()
	}
	return &c
}

// BucketMS is the current time-bucket size in milliseconds.
func (a *Aggregator) BucketMS() int64 { return a.bucketMS }

// Merge folds o (for example another file of the same run, aggregated in parallel) into a.
// o must not be used afterwards.
func (a *Aggregator) Merge(o *Aggregator) {
	if o.minStart != 0 || o.maxStart != 0 {
		a.track(o.minStart)
		a.track(o.maxStart)
	}
	if o.bucketMS > a.bucketMS {
		a.rebucket(o.bucketMS)
		a.ladder = o.ladder
	} else if o.bucketMS < a.bucketMS {
		o.rebucket(a.bucketMS)
	}
	if o.sliceMS > a.sliceMS {
		a.resliceTo(o.sliceMS)
	} else if o.sliceMS < a.sliceMS {
		o.resliceTo(a.sliceMS)
	}
	for k, ol := range o.labels {
		l := a.labels[k]
		if l == nil {
			a.labels[k] = ol
			if !ol.Sub {
				a.topLevel++
			}
			continue
		}
		l.merge(ol)
	}
	a.recountHist()
	a.fitSlices()
	a.shrinkSlices()
	a.cache = [256]*Label{}
	o.run.each(a.run.add)
	a.last = nil
}

func (l *Label) merge(o *Label) {
	l.flushOK()
	o.flushOK()
	l.Transaction = l.Transaction || o.Transaction
	l.Counters.Merge(&o.Counters)
	l.MaxThreads = max(l.MaxThreads, o.MaxThreads)
	_ = l.OK.Merge(o.OK) // same precision by construction
	_ = l.ko.Merge(o.ko)
	l.ErrorKeys.Merge(o.ErrorKeys)
	l.buckets.mergeFrom(&o.buckets)
	if l.slices != nil && o.slices != nil {
		l.slices.mergeFrom(o.slices)
		l.lastSlice, l.prevSlice = nil, nil
	}
}

// Slices returns the label's histogram slices (Result.SliceMS wide) in time order; nil
// for sub-result labels and for the overall row, whose chart buckets carry histograms.
func (l *Label) Slices() []*Bucket {
	if l.slices == nil {
		return []*Bucket{}
	}
	return l.slices.list()
}

// Buckets returns the label's time buckets in time order.
func (l *Label) Buckets() []*Bucket { return l.buckets.list() }

// Result is the aggregation of a whole input.
type Result struct {
	BucketMS int64
	SliceMS  int64    // width of every top-level label's Slices
	Overall  *Label   // every top-level (non-Sub) sample, with run-level buckets
	Labels   []*Label // sorted by name; a name seen both as sub-result and top-level appears twice
}

// Result computes the run-level figures by merging the labels. The Aggregator may keep
// receiving samples afterwards; the Result does not share mutable state with it.
func (a *Aggregator) Result() *Result {
	a.recountHist() // folds in pending values, so the clones below share the encoded lists
	overall := a.newLabel("", false)
	overall.slices = nil
	labels := make([]*Label, 0, len(a.labels))
	for _, l := range a.labels {
		c := l.clone()
		labels = append(labels, c)
		if !l.Sub {
			overall.merge(l)
		}
	}
	overall.Counters = overall.allCounters()
	overall.Transaction = false
	overall.Sub = false
	overall.All = overall.OK.Clone()
	_ = overall.All.Merge(overall.ko)
	a.run.each(func(rb *Bucket) {
		n := floorDiv(rb.StartMS, a.bucketMS)
		b := overall.buckets.get(n)
		if b == nil {
			b = &Bucket{StartMS: rb.StartMS}
			overall.buckets.set(n, b)
		}
		b.Hist = rb.Hist.Clone()
		b.MaxThreads = max(b.MaxThreads, rb.MaxThreads)
	})
	sort.Slice(labels, func(i, j int) bool {
		if labels[i].Name != labels[j].Name {
			return labels[i].Name < labels[j].Name
		}
		return !labels[i].Sub
	})
	return &Result{BucketMS: a.bucketMS, SliceMS: a.sliceMS, Overall: overall, Labels: labels}
}

// allCounters returns the counters of all of the label's samples: l.Counters, which while
// aggregating hold the samples without a start time, plus the buckets'.
func (l *Label) allCounters() Counters {
	c := l.Counters
	c.Codes = append([]CodeCount(nil), l.Codes...)
	l.buckets.each(func(b *Bucket) { c.Merge(&b.Counters) })
	return c
}

func (l *Label) clone() *Label {
	l.flushOK()
	c := *l
	c.Counters = l.allCounters()
	c.okPend = nil
	c.OK, c.ko = l.OK.Clone(), l.ko.Clone()
	c.All = l.OK.Clone()
	_ = c.All.Merge(l.ko)
	c.ErrorKeys = newTopErrors(l.ErrorKeys.cap)
	c.ErrorKeys.Merge(l.ErrorKeys)
	c.buckets = l.buckets.clone()
	if l.slices != nil {
		s := l.slices.clone()
		s.each(func(sb *Bucket) { sb.Counters, sb.MaxThreads = Counters{}, 0 })
		c.buckets.each(func(b *Bucket) {
			if sb := s.get(floorDiv(b.StartMS, s.size)); sb != nil {
				sb.Counters.Merge(&b.Counters)
				sb.MaxThreads = max(sb.MaxThreads, b.MaxThreads)
			}
		})
		c.slices = &s
		c.lastSlice, c.prevSlice = nil, nil
	}
	return &c
}

// clipText cuts s to at most n bytes on a rune boundary, as a copy: a short prefix of a long
// string must not keep all of it in memory.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}
