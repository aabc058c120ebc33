package hostile

import "encoding/json"

func jsonInto(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
