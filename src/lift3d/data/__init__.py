"""Synthetic training data: procedural shapes, solid-textured materials, a ray-cast renderer, shards."""
