package relay

import "encoding/base64"

// EncodeRaw encodes arbitrary cursor text, to build hostile cursors.
func EncodeRaw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
