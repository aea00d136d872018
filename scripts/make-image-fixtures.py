#!/usr/bin/env python3
"""Writes the small image files of Tests/CorpusTests/Fixtures with PIL (Debian: python3-pil), so that
the decoders are tested on files another encoder made. Pixel (x, y) of the patterned images is
(16x, 32y, 128)."""
import os
from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "CorpusTests", "Fixtures")
os.makedirs(out, exist_ok=True)

def pattern(w, h):
    im = Image.new("RGB", (w, h))
    im.putdata([(16 * x, 32 * y, 128) for y in range(h) for x in range(w)])
    return im

pattern(8, 6).save(os.path.join(out, "pattern.png"))                           # RGB, 8-bit
pattern(8, 6).convert("P", palette=Image.ADAPTIVE, colors=64).save(os.path.join(out, "palette.png"))
la = Image.new("LA", (4, 2))
la.putdata([(100, 255), (100, 255), (100, 0), (100, 0)] * 2)                 # left opaque, right transparent
la.save(os.path.join(out, "gray-alpha.png"))
pattern(8, 6).save(os.path.join(out, "lossless.webp"), lossless=True)
Image.new("RGB", (16, 8), (200, 40, 90)).save(os.path.join(out, "lossy.webp"), quality=90)
frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
frames[0].save(os.path.join(out, "animated.webp"), save_all=True, append_images=frames[1:], duration=100, loop=0)
