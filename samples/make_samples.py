"""Regenerate the bundled sample pictures from the project's own synthetic engine.

    python samples/make_samples.py

vase.png is an RGBA render (alpha is the mask); creature_photo.png is a render put
on a plain backdrop with a soft shadow and noise, without alpha, like a photo.
Seeds 2,000,000,000+ are outside the training and held-out ranges.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from lift3d.data.synth import generate_sample
from lift3d.evaluate.heldout import photo_picture

HERE = Path(__file__).resolve().parent


def main() -> None:
    vase = generate_sample(2_000_000_010, size=256)
    Image.fromarray(vase.rgba).save(HERE / "vase.png")
    creature = photo_picture(generate_sample(2_000_000_005, size=256))
    Image.fromarray((creature.rgb * 255).round().astype(np.uint8)).save(HERE / "creature_photo.png")


if __name__ == "__main__":
    main()
