package graph

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/circle-gateway/gateway/circle"
	"github.com/circle-gateway/gateway/graph/model"
	"github.com/circle-gateway/gateway/relay"
)

// What the search resolvers share: the checks of their arguments, made
// before any call, and the connection of mixed results.

// Bounds of the search arguments, checked before any call. Lengths are
// counted in characters, not bytes.
const (
	maxSearchFilterIDs     = 50
	maxMemberFilters       = 20
	maxMemberFilterKey     = 100
	maxMemberFilterValue   = 200
	maxSearchAuthorNameLen = 200
)

// searchText checks a search's text: not blank, at most maxSearchChars
// characters.
func searchText(arg, q string) (string, error) {
	if strings.TrimSpace(q) == "" {
		return "", badInput("%s must not be empty", arg)
	}
	if n := utf8.RuneCountInString(q); n > maxSearchChars {
		return "", badInput("%s must be at most %d characters, got %d", arg, maxSearchChars, n)
	}
	return q, nil
}

// searchIDs parses a filter's ids: at most maxSearchFilterIDs, each a
// positive integer.
func searchIDs(arg string, in []string) ([]int64, error) {
	if len(in) > maxSearchFilterIDs {
		return nil, badInput("%s: at most %d ids, got %d", arg, maxSearchFilterIDs, len(in))
	}
	out := make([]int64, 0, len(in))
	for i, v := range in {
		id, err := parseID(fmt.Sprintf("%s[%d]", arg, i), v)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// advancedSearchParams checks the search page's arguments and turns them
// into Circle's query.
func advancedSearchParams(query string, typ *model.SearchType, filters *model.SearchFilters, scope *model.MentionScope) (circle.AdvancedSearchParams, error) {
	var p circle.AdvancedSearchParams
	q, err := searchText("query", query)
	if err != nil {
		return p, err
	}
	p.Query = q
	if typ != nil {
		if !typ.IsValid() {
			return p, badInput("type %q is not a SearchType", *typ)
		}
		p.Type = strings.ToLower(string(*typ))
	}
	if scope != nil {
		if !scope.IsValid() {
			return p, badInput("mentionScope %q is not a MentionScope", *scope)
		}
		p.MentionScope = strings.ToLower(string(*scope))
	}
	if filters == nil {
		return p, nil
	}
	if p.Filters.SpaceIDs, err = searchIDs("filters.spaceIds", filters.SpaceIds); err != nil {
		return p, err
	}
	if p.Filters.TopicIDs, err = searchIDs("filters.topicIds", filters.TopicIds); err != nil {
		return p, err
	}
	if p.Filters.MemberTagIDs, err = searchIDs("filters.memberTagIds", filters.MemberTagIds); err != nil {
		return p, err
	}
	if filters.AuthorName != nil {
		if n := utf8.RuneCountInString(*filters.AuthorName); n > maxSearchAuthorNameLen {
			return p, badInput("filters.authorName must be at most %d characters, got %d", maxSearchAuthorNameLen, n)
		}
		p.Filters.AuthorName = strings.TrimSpace(*filters.AuthorName)
	}
	if filters.Status != nil {
		if !filters.Status.IsValid() {
			return p, badInput("filters.status %q is not an EventTimeFilter", *filters.Status)
		}
		p.Filters.Status = strings.ToLower(string(*filters.Status))
	}
	return p, nil
}

// memberSearch checks a member search and turns it into Circle's body
// (without the page, which the connection sets).
func memberSearch(in *model.MemberSearchInput) (circle.MemberSearch, error) {
	var s circle.MemberSearch
	if in == nil {
		return s, nil
	}
	if in.Query != nil {
		if n := utf8.RuneCountInString(*in.Query); n > maxSearchChars {
			return s, badInput("input.query must be at most %d characters, got %d", maxSearchChars, n)
		}
		s.SearchText = strings.TrimSpace(*in.Query)
	}
	if in.Order != nil {
		if !in.Order.IsValid() {
			return s, badInput("input.order %q is not a MemberSearchOrder", *in.Order)
		}
		s.Order = strings.ToLower(string(*in.Order))
	}
	if in.Status != nil {
		if !in.Status.IsValid() {
			return s, badInput("input.status %q is not a MemberStatusFilter", *in.Status)
		}
		s.Status = strings.ToLower(string(*in.Status))
	}
	s.ExcludeEmptyName, s.ExcludeEmptyProfiles = in.ExcludeEmptyName, in.ExcludeEmptyProfiles
	if len(in.Filters) > maxMemberFilters {
		return s, badInput("input.filters: at most %d filters, got %d", maxMemberFilters, len(in.Filters))
	}
	for i, f := range in.Filters {
		at := fmt.Sprintf("input.filters[%d]", i)
		key := strings.TrimSpace(f.Key)
		if n := utf8.RuneCountInString(key); n == 0 || n > maxMemberFilterKey {
			return s, badInput("%s.key must be 1 to %d characters", at, maxMemberFilterKey)
		}
		mf := circle.MemberFilter{Key: key, Gte: f.Gte, Lte: f.Lte}
		if f.FilterType != nil {
			if !f.FilterType.IsValid() {
				return s, badInput("%s.filterType %q is not a MemberFilterType", at, *f.FilterType)
			}
			mf.FilterType = strings.ToLower(string(*f.FilterType))
		}
		if f.ProfileFieldType != nil {
			if n := utf8.RuneCountInString(*f.ProfileFieldType); n > maxMemberFilterKey {
				return s, badInput("%s.profileFieldType must be at most %d characters", at, maxMemberFilterKey)
			}
			mf.ProfileFieldType = *f.ProfileFieldType
		}
		if f.ProfileFieldID != nil {
			id, err := parseID(at+".profileFieldId", *f.ProfileFieldID)
			if err != nil {
				return s, err
			}
			mf.ProfileFieldID = model.FormatID(id)
		}
		if f.Value != nil {
			if n := utf8.RuneCountInString(*f.Value); n > maxMemberFilterValue {
				return s, badInput("%s.value must be at most %d characters, got %d", at, maxMemberFilterValue, n)
			}
			mf.Value = *f.Value
		}
		if f.Gte != nil && f.Lte != nil && *f.Gte > *f.Lte {
			return s, badInput("%s: gte (%d) is above lte (%d)", at, *f.Gte, *f.Lte)
		}
		s.Filters = append(s.Filters, mf)
	}
	return s, nil
}

// searchConnection builds a page of mixed results. A record of a type this
// API does not know is left out (its position keeps its cursor, so the
// next page starts where Circle's does), and the page's cursors are those
// of the window, so that a page of only unknown records still pages on.
func searchConnection(_ context.Context, res relay.Result[circle.SearchHit]) *model.SearchResultConnection {
	c := &model.SearchResultConnection{Edges: []*model.SearchResultEdge{}, Nodes: []model.SearchResult{}}
	for i := range res.Items {
		n := model.SearchResultFrom(&res.Items[i])
		if n == nil {
			continue
		}
		c.Edges = append(c.Edges, &model.SearchResultEdge{Cursor: res.Cursor(i), Node: n})
		c.Nodes = append(c.Nodes, n)
	}
	c.PageInfo = &model.PageInfo{HasNextPage: res.HasNext, HasPreviousPage: res.HasPrevious()}
	if len(res.Items) > 0 {
		start, end := res.Cursor(0), res.Cursor(len(res.Items)-1)
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	total := res.Total
	c.TotalCount = &total
	return c
}
