// Package circledouble is a strict, hand-written Circle Member API double
// for the gateway's end-to-end tests (package e2e): a second Circle, beside
// the sandbox, so that what the gateway does is proven against data and
// JSON that nothing else in the project produces.
//
// The double is independent of package sandbox and of package circle: its JSON is shaped after the
// examples of Circle's OpenAPI documents (docs/contract.md §7), extra
// fields the gateway does not use included (policies, gallery, topics,
// member_tags, action, …), and its data lies far from the sandbox's ranges:
// Member ids 900_001…999_999, user ids 7_0xx_xxx (never equal to a member
// id), spaces 4_000_00x, posts 55_000_0xx, comments 8_800_xxx, attendees
// 66_000_xxx, dates of a recurring series 68_000_00x, and (content.go)
// bookmarks, followings, sidebar links and gallery images
// 5_600_00x…5_900_0xx. Embedded authors carry roles as arrays (and once as null),
// profiles and like lists as objects; one reply comes back without an
// embedded author and /community_events records carry no post_type, both as
// in the OpenAPI examples.
//
// What a member sees depends on the token's community_member_id (read
// without verification, as Circle's would be verified): is_liked,
// rsvp_status, is_member, private spaces and their posts.
//
// The double is strict about how it is called: every list call must send
// per_page (1..100), page >= 1, only the query parameters the OpenAPI
// document lists for that endpoint with valid values, post_ids batches with
// per_page equal to the number of ids, canonical ids in paths (or slugs
// where the document takes an id or slug), a member
// bearer token, and Circle's request bodies. Every breach is recorded as a
// violation (TakeViolations) and fails the test that caused it.
//
// Curated (curated.go) is a second double of the same strictness for the
// domains added later (courses, quizzes, search, links, profile fields),
// with a community and id ranges of its own; strict.go holds the checks
// both make before an endpoint answers.
//
// It is test code: nothing outside the tests may import it.
package circledouble
