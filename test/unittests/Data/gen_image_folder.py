#!/usr/bin/env python3
# Regenerates image_folder/ (tiny images of several kinds, in two classes,
# one nested a folder deeper) and image_folder.json: what torchvision's
# ImageFolder lists (classes, samples in order) and what its default loader
# decodes (PIL's convert("RGB")), for DataTest.cpp's ImageFolder test.
#
#   ../shared/tools/install-torch2.sh   (PyTorch, torchvision, pillow)
#   <that environment>/python gen_image_folder.py
import json
import os
import shutil

import numpy as np
import torchvision
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "image_folder")
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(7)


def pixels(h, w, c):
    return rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)


def save(rel, image, **kw):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, **kw)


save("cat/rgb.png", Image.fromarray(pixels(3, 5, 3), "RGB"))
save("cat/grey.png", Image.fromarray(pixels(4, 4, 1)[:, :, 0], "L"))
save("cat/nested/alpha.PNG", Image.fromarray(pixels(2, 3, 4), "RGBA"))
palette = Image.fromarray(pixels(3, 3, 1)[:, :, 0] % 4, "P")
palette.putpalette(list(pixels(4, 1, 3).flatten()))
save("cat/palette.png", palette, transparency=1)
save("dog/interlaced.png", Image.fromarray(pixels(7, 6, 3), "RGB"), interlace=1)
save("dog/photo.jpg", Image.fromarray(pixels(8, 9, 3), "RGB"), quality=90)
save("dog/grey.jpeg", Image.fromarray(pixels(5, 4, 1)[:, :, 0], "L"), quality=75)
with open(os.path.join(root, "dog", "notes.txt"), "w") as f:
    f.write("not an image: ImageFolder skips it\n")

dataset = torchvision.datasets.ImageFolder(root)
out = {"classes": dataset.classes, "samples": []}
for path, label in dataset.samples:
    image = np.array(Image.open(path).convert("RGB"))
    out["samples"].append({"path": os.path.relpath(path, root), "label": label,
                           "shape": list(image.shape),
                           "pixels": image.flatten().tolist()})
with open(os.path.join(here, "image_folder.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
