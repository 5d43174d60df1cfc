"""generate/diffusion stage."""
