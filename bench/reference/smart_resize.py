#!/usr/bin/env python3
"""Reference smart_resize sizes for genlab's agent tests (test/agent/smart-resize-table.ts).

UI-TARS-1.5 (Qwen2.5-VL) answers in pixels of the screenshot after `smart_resize`: each side rounded to
a multiple of 28 with Python's round() (ties to even), then scaled down (floor) or up (ceil) to keep the
pixel count within [min_pixels, max_pixels]. This is the reference formula, run by CPython itself, so
the table does not depend on genlab's TypeScript port.

Usage: smart_resize.py  -> prints the tables as JSON: {"default": [[h, w, h_bar, w_bar], ...], "small": [...]}
("small": min_pixels = 4*28*28, max_pixels = 1350*28*28, a smaller server-side budget).
Standard library only.
"""
import json
import math

IMAGE_FACTOR = 28
MIN_PIXELS = 100 * 28 * 28
MAX_PIXELS = 16384 * 28 * 28
MAX_RATIO = 200


def round_by_factor(number, factor):
    return round(number / factor) * factor


def ceil_by_factor(number, factor):
    return math.ceil(number / factor) * factor


def floor_by_factor(number, factor):
    return math.floor(number / factor) * factor


def smart_resize(height, width, factor=IMAGE_FACTOR, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS):
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"absolute aspect ratio must be smaller than {MAX_RATIO}, got {max(height, width) / min(height, width)}")
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = floor_by_factor(height / beta, factor)
        w_bar = floor_by_factor(width / beta, factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


# [height, width] of screenshots: common screens, .5 ties of side / 28 (1302 = 46.5 * 28, ...), tiny and
# huge images, portrait phones, extreme aspect ratios, and the screenshots of the browser tests
# (1280x800, 1600x1200 = 800x600 at DPR 2, 1302x720).
DEFAULT_SIZES = [
    (800, 1280), (720, 1280), (1080, 1920), (1440, 2560), (1600, 2560), (2160, 3840), (1200, 1920), (768, 1024),
    (600, 800), (900, 1440), (720, 1302), (1302, 720), (770, 1330), (742, 1302), (1022, 1302), (994, 1358),
    (1050, 1414), (70, 70), (14, 2800), (100, 100), (224, 224), (28, 28), (2880, 5120), (4320, 7680), (1960, 1302),
    (798, 1274), (1234, 567), (1366, 768), (768, 1366), (812, 375), (2532, 1170), (10, 1999), (3000, 3000),
    (1200, 1600), (600, 800),
]
SMALL_SIZES = [
    (800, 1280), (720, 1280), (1080, 1920), (1440, 2560), (1600, 2560), (2160, 3840), (1200, 1920), (768, 1024),
    (600, 800), (900, 1440), (720, 1302), (1302, 720),
]


def main():
    seen = set()
    default = []
    for h, w in DEFAULT_SIZES:
        if (h, w) in seen:
            continue
        seen.add((h, w))
        default.append([h, w, *smart_resize(h, w)])
    small = [[h, w, *smart_resize(h, w, min_pixels=4 * 28 * 28, max_pixels=1350 * 28 * 28)] for h, w in SMALL_SIZES]
    print(json.dumps({"default": default, "small": small}))


if __name__ == "__main__":
    main()
