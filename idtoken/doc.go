// Package idtoken verifies the identity tokens that signIn exchanges for
// Circle member tokens: JWTs issued by the app's own identity provider, which
// the gateway must trust before it asks Circle's Auth API — with the
// community's app token — to issue tokens for the member they name.
//
// A Verifier is built from exactly one key: an HS256 shared secret, a PEM
// public key (RSA → RS256, EC P-256 → ES256) or a JWKS URL (RS256/ES256 keys,
// fetched and rotated by github.com/MicahParks/keyfunc). The accepted
// algorithms are pinned to that key type, so "none" and HS/RS confusion
// never verify. exp is required, nbf honoured, both with at most 30 s of
// leeway; iss and aud are checked when configured. Tokens are bounded in
// size before anything is decoded, so hostile input costs no memory.
//
// It must never log a token or put one (or any claim value) in an error
// message: errors say only why a token was refused, and all wrap ErrInvalid.
package idtoken
