package model

// Member, Space, Post and Comment are the gateway's federation entities
// (FEDERATION=true; graph/subgraph, docs/federation.md). gqlgen's _Entity
// union holds its members as fedruntime.Entity, which asks for this
// marker method; the main executor never calls it.

// IsEntity marks Member as a federation entity (key: id).
func (*Member) IsEntity() {}

// IsEntity marks Space as a federation entity (key: id).
func (*Space) IsEntity() {}

// IsEntity marks Post as a federation entity (key: id space { id }).
func (*Post) IsEntity() {}

// IsEntity marks Comment as a federation entity (key: id post { id }).
func (*Comment) IsEntity() {}
