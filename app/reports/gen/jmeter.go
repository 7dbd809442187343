// Package gen writes synthetic JMeter CSV result files for benchmarks and memory checks. The
// output is deterministic for a given Options so figures are comparable between runs.
package gen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
)

// Options shape a generated file. The zero value gives a default-format file with 40 labels,
// about 2% errors (some with quoted commas and doubled quotes) and 1,000 rows per second.
type Options struct {
	Rows      int     // data rows to write
	Labels    int     // distinct sampler labels; 0 means 40
	ErrorRate float64 // fraction of failed samples; 0 means 0.02
	RowsPerS  int     // simulated request rate, which sets the run length; 0 means 1,000
	Seed      uint64  // random seed; the same seed writes the same file
	StartMS   int64   // first timestamp; 0 means 2026-01-01T00:00:00Z
}

const header = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"

// JMeterCSV writes a JMeter CSV file with the default 17-column header. It returns the number
// of bytes written.
func JMeterCSV(w io.Writer, opt Options) (int64, error) {
	if opt.Labels <= 0 {
		opt.Labels = 40
	}
	if opt.ErrorRate <= 0 {
		opt.ErrorRate = 0.02
	}
	if opt.RowsPerS <= 0 {
		opt.RowsPerS = 1000
	}
	if opt.StartMS == 0 {
		opt.StartMS = 1767225600000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5ca1ab1e))
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	labels := make([]string, opt.Labels)
	urls := make([]string, opt.Labels)
	for i := range labels {
		labels[i] = "GET /api/v1/resource/" + strconv.Itoa(i)
		urls[i] = "https://shop.example.test/api/v1/resource/" + strconv.Itoa(i)
	}
	if _, err := io.WriteString(cw, header); err != nil {
		return cw.n, err
	}
	buf := make([]byte, 0, 512)
	for i := range opt.Rows {
		l := rng.IntN(opt.Labels)
		// Log-normal-ish response times with a long tail, as real services have.
		elapsed := int64(20 + rng.ExpFloat64()*80*float64(1+l%5))
		// Rows are written at their end, so start times arrive slightly out of order.
		ts := opt.StartMS + int64(i)*1000/int64(opt.RowsPerS) - elapsed
		thread := 1 + rng.IntN(50)
		buf = buf[:0]
		buf = strconv.AppendInt(buf, ts, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, elapsed, 10)
		buf = append(buf, ',')
		buf = append(buf, labels[l]...)
		failed := rng.Float64() < opt.ErrorRate
		if failed {
			buf = append(buf, `,500,"Internal Server Error, upstream timeout",Users 1-`...)
		} else {
			buf = append(buf, ",200,OK,Users 1-"...)
		}
		buf = strconv.AppendInt(buf, int64(thread), 10)
		if failed {
			buf = append(buf, `,text,false,"Test failed: code expected to match /200/, got ""500""",`...)
		} else {
			buf = append(buf, ",text,true,,"...)
		}
		buf = strconv.AppendInt(buf, 200+rng.Int64N(20000), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, 100+rng.Int64N(900), 10)
		buf = append(buf, ",50,50,"...)
		buf = append(buf, urls[l]...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, elapsed*9/10, 10)
		buf = append(buf, ",0,"...)
		buf = strconv.AppendInt(buf, rng.Int64N(30), 10)
		buf = append(buf, '\n')
		if _, err := cw.Write(buf); err != nil {
			return cw.n, err
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
