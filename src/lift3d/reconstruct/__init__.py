"""reconstruct stage."""
