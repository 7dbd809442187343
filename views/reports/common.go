package reports

import "strconv"

func isNum(t Table, i int) bool { return i < len(t.Numeric) && t.Numeric[i] }

func sortKind(t Table, i int) string {
	if isNum(t, i) {
		return "num"
	}
	return "text"
}

func sortValue(t Table, i int, c Cell) string {
	if isNum(t, i) {
		return strconv.FormatFloat(c.Value, 'g', -1, 64)
	}
	return c.Text
}
