package limits

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// DefaultMaxTokens is the most tokens a document may have (MAX_TOKENS).
const DefaultMaxTokens = 15000

// MutateOperationParameters refuses a document with more than MaxTokens
// tokens, or nested deeper than the parser allows, before gqlgen parses
// it: one pass of gqlparser's lexer that stops at the first token over.
// The parser's own limits would refuse the same documents, but with
// nothing but their text to tell them from a syntax error; refused here,
// they are over-limit refusals like the others. A document the lexer
// cannot read is left to the parser, which reports where.
//
// It runs after the persisted-query extensions (Use order), so a query
// filled in from a hash is measured too.
func (l Limits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	l = l.withDefaults()
	lex := lexer.New(&ast.Source{Input: p.Query})
	tokens, depth := 0, 0
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil
		}
		if tokens++; tokens > l.MaxTokens {
			return refuse("the document has more than %d tokens", l.MaxTokens)
		}
		switch tok.Kind {
		case lexer.BraceL, lexer.BracketL:
			// Selection sets, object and list values and list types: what
			// the parser counts as nesting.
			if depth++; depth > parser.MaxNestingDepth {
				return refuse("the document nests deeper than %d levels", parser.MaxNestingDepth)
			}
		case lexer.BraceR, lexer.BracketR:
			depth--
		}
	}
}
