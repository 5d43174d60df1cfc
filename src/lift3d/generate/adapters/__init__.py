"""LoRA adapters: small files that specialise the shape model to a picture style or a user's data."""
