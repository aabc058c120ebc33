package graph

import (
	"github.com/circle-gateway/gateway/internal/argcheck"
	"github.com/circle-gateway/gateway/loaders"
)

// Id arguments. Every id a resolver is given is checked here before any
// upstream call: a Circle id is a positive integer, and anything else is
// BAD_USER_INPUT with a short message naming the argument. (Connection
// arguments, `first` and `after`, are relay's to judge, before the
// operation runs: limits.checkConnectionArguments.)

// parseID reads a GraphQL ID argument as a Circle id: a positive integer
// (argcheck.ID, the rule the query limits apply to nested ids too).
// Anything else is refused before any upstream call.
func parseID(arg, v string) (int64, error) {
	id, err := argcheck.ID(arg, v)
	if err != nil {
		return 0, badInput("%v", err)
	}
	return id, nil
}

// truncate keeps error messages short whatever the input.
func truncate(s string, n int) string { return argcheck.Truncate(s, n) }

// postKeyArgs parses a post's space id and id arguments.
func postKeyArgs(spaceArg, spaceID, postArg, postID string) (loaders.PostKey, error) {
	sid, err := parseID(spaceArg, spaceID)
	if err != nil {
		return loaders.PostKey{}, err
	}
	pid, err := parseID(postArg, postID)
	if err != nil {
		return loaders.PostKey{}, err
	}
	return loaders.PostKey{SpaceID: sid, PostID: pid}, nil
}

// twoIDs parses two id arguments, such as a post's and a comment's.
func twoIDs(argA, a, argB, b string) (int64, int64, error) {
	idA, err := parseID(argA, a)
	if err != nil {
		return 0, 0, err
	}
	idB, err := parseID(argB, b)
	if err != nil {
		return 0, 0, err
	}
	return idA, idB, nil
}
