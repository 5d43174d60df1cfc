"""asset stage."""
