"""The studio and HTTP API: `lift3d serve` (needs the optional `lift3d[studio]` extra)."""
