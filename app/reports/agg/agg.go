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
	"math"
	"sort"
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
}

// bucketLadder lists the bucket sizes in ms; each divides the next, so coarsening only ever
// merges whole buckets. Past the end sizes keep doubling.
var bucketLadder = [...]int64{1000, 2000, 10000, 20000, 60000, 120000, 600000, 1200000, 3600000, 7200000, 21600000, 43200000, 86400000}

// Label is everything kept for one label (or, in Result.Overall, for the whole run).
type Label struct {
	Name        string
	Transaction bool // JMeter transaction-controller label
	Sub         bool // every sample was a sub-result
	Counters
	MaxThreads int
	// All and OK are the run-level histograms of every sample and of successful ones. While
	// aggregating only OK and ko (failures) are recorded, one histogram per sample; All is
	// their merge, filled in by Result.
	All       *Hist
	OK        *Hist
	ko        *Hist
	ErrorKeys *TopErrors

	buckets map[int64]*Bucket
	lastKey int64
	last    *Bucket
	// slices is the per-label histogram grid (top-level labels only). lastSlice is where
	// the label's samples go now and prevSlice where they went before: samples near a slice
	// edge alternate between the two, so only a third slice seals prevSlice.
	slices    map[int64]*Bucket
	lastSlice *Bucket
	prevSlice *Bucket
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
	run      map[int64]*Bucket // run-wide histogram and threads per bucket
	runLast  *Bucket
	sliceMS  int64 // width of the per-label slices; a ladder size ≥ bucketMS
	topLevel int   // number of top-level labels, for the MaxSlices budget
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
	return &Aggregator{opt: opt, labels: make(map[labelKey]*Label), bucketMS: bucketLadder[0], sliceMS: bucketLadder[0], run: make(map[int64]*Bucket)}
}

func (a *Aggregator) newLabel(name string, sub bool) *Label {
	l := &Label{Name: name, Sub: sub, OK: NewHist(), ko: NewHist(), ErrorKeys: newTopErrors(a.opt.ErrorSlots), buckets: make(map[int64]*Bucket)}
	if !sub {
		l.slices = make(map[int64]*Bucket)
	}
	return l
}

// Sample adds one sample. It never fails; the error is there to satisfy parse.SampleSink.
func (a *Aggregator) Sample(s *parse.Sample) error {
	l := a.last
	if l == nil || l.Name != s.Label || l.Sub != s.Sub {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s.Label)))
		slot := &a.cache[(p>>3^p>>11)&255]
		l = *slot
		if l == nil || uintptr(unsafe.Pointer(unsafe.StringData(l.Name))) != p || len(l.Name) != len(s.Label) || l.Sub != s.Sub {
			k := labelKey{s.Label, s.Sub}
			l = a.labels[k]
			if l == nil {
				l = a.newLabel(s.Label, s.Sub)
				a.labels[k] = l
				if !s.Sub {
					a.topLevel++
					a.fitSlices()
				}
			}
			if uintptr(unsafe.Pointer(unsafe.StringData(l.Name))) == p {
				*slot = l
			}
		}
		a.last = l
	}
	if s.Transaction {
		l.Transaction = true
	}
	l.Counters.add(s)
	l.MaxThreads = max(l.MaxThreads, s.Threads)
	us := toUS(s.ElapsedMS)
	if s.OK {
		l.OK.RecordUS(us)
	} else {
		l.ko.RecordUS(us)
		l.ErrorKeys.Add(s.Code, s.Message, 1)
	}
	if s.StartMS == 0 {
		return nil
	}
	a.track(s.StartMS)
	key := floorTo(s.StartMS, a.bucketMS)
	b := l.last
	if b == nil || l.lastKey != key {
		b = l.buckets[key]
		if b == nil {
			b = &Bucket{StartMS: key}
			l.buckets[key] = b
		}
		l.last, l.lastKey = b, key
	}
	b.Counters.add(s)
	b.MaxThreads = max(b.MaxThreads, s.Threads)
	if s.Sub {
		return nil
	}
	skey := floorTo(s.StartMS, a.sliceMS)
	sb := l.lastSlice
	if sb == nil || sb.StartMS != skey {
		sb = a.openSlice(l, skey)
	}
	sb.Counters.add(s)
	sb.MaxThreads = max(sb.MaxThreads, s.Threads)
	if grew := sb.Fine.record(us, &a.scratch); grew != 0 {
		a.histBytes += grew
		if a.histBytes > a.opt.SliceHistBytes {
			a.shrinkSlices()
		}
	}
	rb := a.runLast
	if rb == nil || rb.StartMS != key {
		rb = a.run[key]
		if rb == nil {
			rb = &Bucket{StartMS: key, Hist: NewCoarseHist()}
			a.run[key] = rb
		}
		a.runLast = rb
	}
	rb.Hist.RecordUS(us)
	rb.MaxThreads = max(rb.MaxThreads, s.Threads)
	return nil
}

// openSlice makes the slice starting at key the label's current one, sealing the slice
// before the previous one unless the samples are going back to it.
func (a *Aggregator) openSlice(l *Label, key int64) *Bucket {
	sb := l.slices[key]
	if sb == nil {
		sb = &Bucket{StartMS: key, Fine: NewSparseHist()}
		l.slices[key] = sb
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
		return
	}
	if t >= a.minStart && t <= a.maxStart {
		return
	}
	a.minStart = min(a.minStart, t)
	a.maxStart = max(a.maxStart, t)
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
	for labels*((a.maxStart-a.minStart)/size+1) > int64(a.opt.MaxSlices) {
		size = nextSize(size)
	}
	if size != a.sliceMS {
		a.resliceTo(size)
	}
}

// resliceTo merges the slices into slices of size ms and recounts their histograms' size.
func (a *Aggregator) resliceTo(size int64) {
	a.sliceMS = size
	for _, l := range a.labels {
		if l.slices != nil {
			l.slices = rebucketMap(l.slices, size)
			l.lastSlice, l.prevSlice = nil, nil
		}
	}
	a.recountHist()
}

// recountHist seals every slice histogram and sums their encoded sizes.
func (a *Aggregator) recountHist() {
	n := 0
	for _, l := range a.labels {
		for _, b := range l.slices {
			b.Fine.seal(&a.scratch)
			n += b.Fine.Size()
		}
		l.lastSlice, l.prevSlice = nil, nil
	}
	a.histBytes = n
}

func (a *Aggregator) rebucket(size int64) {
	a.bucketMS = size
	for _, l := range a.labels {
		l.buckets = rebucketMap(l.buckets, size)
		l.last = nil
	}
	a.run = rebucketMap(a.run, size)
	a.runLast = nil
}

func rebucketMap(old map[int64]*Bucket, size int64) map[int64]*Bucket {
	nb := make(map[int64]*Bucket, len(old)/2+1)
	for _, b := range old {
		k := floorTo(b.StartMS, size)
		t := nb[k]
		if t == nil {
			b.StartMS = k
			nb[k] = b
			continue
		}
		t.merge(b)
	}
	return nb
}

func (b *Bucket) merge(o *Bucket) {
	b.Counters.Merge(&o.Counters)
	if o.Hist != nil {
		if b.Hist == nil {
			b.Hist = NewCoarseHist()
		}
		_ = b.Hist.Merge(o.Hist) // same kind by construction
	}
	if o.Fine != nil {
		if b.Fine == nil {
			b.Fine = NewSparseHist()
		}
		b.Fine.Merge(o.Fine)
	}
	b.MaxThreads = max(b.MaxThreads, o.MaxThreads)
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
	for k, ob := range o.run {
		if b := a.run[k]; b != nil {
			b.merge(ob)
		} else {
			a.run[k] = ob
		}
	}
	a.last, a.runLast = nil, nil
}

func (l *Label) merge(o *Label) {
	l.Transaction = l.Transaction || o.Transaction
	l.Counters.Merge(&o.Counters)
	l.MaxThreads = max(l.MaxThreads, o.MaxThreads)
	_ = l.OK.Merge(o.OK) // same precision by construction
	_ = l.ko.Merge(o.ko)
	l.ErrorKeys.Merge(o.ErrorKeys)
	for k, ob := range o.buckets {
		if b := l.buckets[k]; b != nil {
			b.merge(ob)
		} else {
			l.buckets[k] = ob.clone()
		}
	}
	l.last = nil
	if l.slices != nil {
		for k, ob := range o.slices {
			if b := l.slices[k]; b != nil {
				b.merge(ob)
			} else {
				l.slices[k] = ob.clone()
			}
		}
		l.lastSlice, l.prevSlice = nil, nil
	}
}

// Slices returns the label's histogram slices (Result.SliceMS wide) in time order; nil
// for sub-result labels and for the overall row, whose chart buckets carry histograms.
func (l *Label) Slices() []*Bucket {
	out := make([]*Bucket, 0, len(l.slices))
	for _, b := range l.slices {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartMS < out[j].StartMS })
	return out
}

// Buckets returns the label's time buckets in time order.
func (l *Label) Buckets() []*Bucket {
	out := make([]*Bucket, 0, len(l.buckets))
	for _, b := range l.buckets {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartMS < out[j].StartMS })
	return out
}

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
	overall.Transaction = false
	overall.Sub = false
	overall.All = overall.OK.Clone()
	_ = overall.All.Merge(overall.ko)
	for k, rb := range a.run {
		b := overall.buckets[k]
		if b == nil {
			b = &Bucket{StartMS: k}
			overall.buckets[k] = b
		}
		b.Hist = rb.Hist.Clone()
		b.MaxThreads = max(b.MaxThreads, rb.MaxThreads)
	}
	sort.Slice(labels, func(i, j int) bool {
		if labels[i].Name != labels[j].Name {
			return labels[i].Name < labels[j].Name
		}
		return !labels[i].Sub
	})
	return &Result{BucketMS: a.bucketMS, SliceMS: a.sliceMS, Overall: overall, Labels: labels}
}

func (l *Label) clone() *Label {
	c := *l
	c.Counters.Codes = append([]CodeCount(nil), l.Codes...)
	c.OK, c.ko = l.OK.Clone(), l.ko.Clone()
	c.All = l.OK.Clone()
	_ = c.All.Merge(l.ko)
	c.ErrorKeys = newTopErrors(l.ErrorKeys.cap)
	c.ErrorKeys.Merge(l.ErrorKeys)
	c.buckets = make(map[int64]*Bucket, len(l.buckets))
	for k, b := range l.buckets {
		c.buckets[k] = b.clone()
	}
	c.last = nil
	if l.slices != nil {
		c.slices = make(map[int64]*Bucket, len(l.slices))
		for k, b := range l.slices {
			c.slices[k] = b.clone()
		}
		c.lastSlice, c.prevSlice = nil, nil
	}
	return &c
}
