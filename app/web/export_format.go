package web

import "strconv"

// formatRaw writes a number for machines: no grouping, '.' as the decimal point.
func formatRaw(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
