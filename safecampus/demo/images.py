"""Small pictures drawn in memory for the demo: hazard photos and campus maps (Pillow).

Nothing is read from disk; every picture comes from the caller's ``random.Random``, so the
same seed draws the same pictures.
"""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

PHOTO_SIZE = (320, 240)


def photo_jpeg(rng: random.Random, colour: tuple[int, int, int], *, after: bool = False,
               name: str = "photo.jpg") -> SimpleUploadedFile:
    """A 320×240 JPEG upload: a coloured scene with a few shapes.

    ``after`` (a rectification photo) draws a lighter scene with a green check mark, so
    before and after pictures differ at a glance.
    """
    base = tuple(min(255, c + 60) for c in colour) if after else colour
    image = Image.new("RGB", PHOTO_SIZE, base)
    draw = ImageDraw.Draw(image)
    width, height = PHOTO_SIZE
    draw.rectangle([0, int(height * 0.65), width, height], fill=(110, 110, 105))  # floor
    for _ in range(rng.randint(2, 5)):
        x0, y0 = rng.randint(0, width - 60), rng.randint(20, height - 60)
        x1, y1 = x0 + rng.randint(30, 120), y0 + rng.randint(20, 90)
        fill = tuple(rng.randint(30, 230) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=fill, outline=(20, 20, 20))
        else:
            draw.ellipse([x0, y0, x1, y1], fill=fill, outline=(20, 20, 20))
    if after:
        draw.line([(230, 150), (260, 190), (305, 110)], fill=(30, 160, 60), width=12)
    else:
        draw.polygon([(255, 120), (300, 200), (210, 200)], fill=(250, 200, 0), outline=(0, 0, 0))
        draw.rectangle([252, 145, 258, 180], fill=(0, 0, 0))
        draw.rectangle([252, 186, 258, 193], fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def campus_map_png(rng: random.Random, *, buildings, places, size=(1200, 800)) -> bytes:
    """A plain campus map: lawns, a road grid, building blocks and outdoor places.

    ``buildings`` and ``places``: iterables of ``(x, y)`` percentages. Returns PNG bytes.
    """
    width, height = size
    image = Image.new("RGB", size, (226, 236, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle([8, 8, width - 8, height - 8], outline=(120, 130, 110), width=6)  # wall
    for _ in range(6):  # lawns and trees
        x, y = rng.randint(40, width - 200), rng.randint(40, height - 160)
        draw.ellipse([x, y, x + rng.randint(80, 200), y + rng.randint(60, 140)],
                     fill=(196, 222, 178))
    for fraction in (0.5,):  # main roads
        draw.line([(0, int(height * fraction)), (width, int(height * fraction))],
                  fill=(250, 250, 245), width=26)
        draw.line([(int(width * fraction), 0), (int(width * fraction), height)],
                  fill=(250, 250, 245), width=26)
    for fraction in (0.2, 0.8):  # side roads
        draw.line([(int(width * fraction), 0), (int(width * fraction), height)],
                  fill=(245, 245, 238), width=12)
    for x, y in buildings:
        cx, cy = width * float(x) / 100, height * float(y) / 100
        w, h = rng.randint(70, 110), rng.randint(45, 70)
        draw.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], fill=(205, 200, 190),
                       outline=(120, 110, 100), width=3)
    for x, y in places:
        cx, cy = width * float(x) / 100, height * float(y) / 100
        draw.ellipse([cx - 9, cy - 9, cx + 9, cy + 9], fill=(160, 170, 185), outline=(90, 90, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
