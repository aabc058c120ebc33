package circle

import (
	"errors"
	"fmt"
)

// A 2xx answer whose JSON decodes but cannot be what Circle means is an
// error, never data: a null where a list or page belongs would read as an
// empty list, and a negative count as a negative totalCount, with nothing
// to say that Circle's answer was broken. Decoding errors and these are
// both reported as "decode response" errors of the endpoint.

// shaped is implemented by the answers that can check themselves once
// decoded.
type shaped interface {
	checkShape() error
}

// errNullAnswer is a 2xx answer of JSON null.
var errNullAnswer = errors.New("the answer is null")

// checkShape refuses a null answer, and an answer that checks itself and
// fails.
func checkShape(null bool, out any) error {
	if null {
		return errNullAnswer
	}
	if s, ok := out.(shaped); ok {
		return s.checkShape()
	}
	return nil
}

// checkShape refuses a page with a negative number in its envelope, or
// without records when it counts some.
func (p *Page[T]) checkShape() error {
	switch {
	case p.Count < 0, p.Page < 0, p.PerPage < 0, p.PageCount < 0:
		return fmt.Errorf("the page has a negative count, page or per_page (count %d, page %d, per_page %d, page_count %d)", p.Count, p.Page, p.PerPage, p.PageCount)
	case p.Records == nil && p.Count > 0:
		return fmt.Errorf("the page counts %d records but has no records list", p.Count)
	}
	return nil
}
