package relay

// Slice cuts the window out of a whole list the caller already holds (such
// as the replies Circle embeds in a comment), with the same offsets,
// cursors and page info as Fetch would give for that list, and no
// upstream call. all is not modified; Items is a fresh slice.
func Slice[T any](w Window, all []T) Result[T] {
	start := min(w.Offset, len(all))
	end := min(start+w.Limit, len(all))
	res := Result[T]{Offset: w.Offset, Items: append([]T(nil), all[start:end]...), Total: len(all)}
	res.HasNext = w.Offset+w.Limit < len(all)
	if res.Items == nil {
		res.Items = []T{}
	}
	return res
}
