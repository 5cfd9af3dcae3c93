#!/usr/bin/env python3
"""tests/desktop/check-screenshots.py SOURCE_ROOT METAINFO_IN

Every screenshot the metainfo names must be a real PNG in data/screenshots/
of this tree (the URLs point at the same path on the main branch), with a
caption. Skipped (77) while no screenshot has been produced yet.
"""
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

URL = re.compile(r"https://raw\.githubusercontent\.com/gabnstudio/gabn-studio/main/(data/screenshots/[\w.-]+\.png)$")
MIN_WIDTH, MIN_HEIGHT = 620, 350  # AppStream's smallest recommended screenshot


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    root, metainfo = sys.argv[1], sys.argv[2]
    component = ET.parse(metainfo).getroot()
    shots = component.findall("./screenshots/screenshot")
    errors, paths = [], []
    if not shots:
        errors.append("no screenshots")
    for shot in shots:
        image = shot.find("image")
        caption = shot.find("caption")
        if caption is None or not (caption.text or "").strip():
            errors.append("a screenshot has no caption")
        m = URL.match((image.text or "").strip() if image is not None else "")
        if not m:
            errors.append(f"screenshot URL is not under data/screenshots on main: {image.text if image is not None else None}")
            continue
        paths.append(m.group(1))

    present = [p for p in paths if os.path.exists(os.path.join(root, p))]
    if not errors and not present:
        print(f"none of the {len(paths)} screenshots exists yet in data/screenshots/: skipping")
        return 77
    for p in paths:
        full = os.path.join(root, p)
        if not os.path.exists(full):
            errors.append(f"{p}: named in the metainfo but missing")
            continue
        size = png_size(full)
        if size is None:
            errors.append(f"{p}: not a PNG file")
        elif size[0] < MIN_WIDTH or size[1] < MIN_HEIGHT:
            errors.append(f"{p}: {size[0]}×{size[1]} is smaller than {MIN_WIDTH}×{MIN_HEIGHT}")
    for e in errors:
        print(f"{metainfo}: {e}", file=sys.stderr)
    if not errors:
        print(f"{len(paths)} screenshots, all present as PNGs with captions")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
