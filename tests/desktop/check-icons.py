#!/usr/bin/env python3
"""tests/desktop/check-icons.py APP_SVG SYMBOLIC_SVG

The app icon must be a well-formed 128×128 SVG (GNOME's canvas for app
icons); the symbolic icon a 16×16 SVG that draws in one grey only, so the
theme can recolour it. Rendering is checked by eye (see the README).
"""
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
errors = []


def load(path, size):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        errors.append(f"{path}: not well-formed XML: {e}")
        return None
    if root.tag != SVG + "svg":
        errors.append(f"{path}: root element is {root.tag}, not svg")
        return None
    view_box = root.get("viewBox", "").split()
    if view_box != ["0", "0", str(size), str(size)]:
        errors.append(f"{path}: viewBox is {root.get('viewBox')!r}, expected '0 0 {size} {size}'")
    for attr in ("width", "height"):
        if root.get(attr) != str(size):
            errors.append(f"{path}: {attr} is {root.get(attr)!r}, expected {size}")
    shapes = [e for e in root.iter() if e.tag[len(SVG):] in ("path", "rect", "ellipse", "circle", "polygon")]
    if not shapes:
        errors.append(f"{path}: draws nothing")
    if any(e.tag in (SVG + "image", SVG + "text") for e in root.iter()):
        errors.append(f"{path}: embeds a bitmap or text (icons must be pure shapes)")
    return root


def colours(root):
    found = set()
    for e in root.iter():
        for attr in ("fill", "stroke", "stop-color", "color"):
            v = e.get(attr)
            if v and v.startswith("#"):
                found.add(v.lower())
        for v in re.findall(r"(?:fill|stroke|stop-color)\s*:\s*(#[0-9a-fA-F]{3,6})", e.get("style", "")):
            found.add(v.lower())
    return found


def main():
    app_svg, symbolic_svg = sys.argv[1], sys.argv[2]
    app = load(app_svg, 128)
    if app is not None and len(colours(app)) < 4:
        errors.append(f"{app_svg}: a full-colour icon should use more than {len(colours(app))} colours")
    symbolic = load(symbolic_svg, 16)
    if symbolic is not None:
        used = colours(symbolic)
        if len(used) != 1:
            errors.append(f"{symbolic_svg}: a symbolic icon uses one colour, found {sorted(used)}")
        if any(e.tag.endswith("Gradient") for e in symbolic.iter()):
            errors.append(f"{symbolic_svg}: a symbolic icon has no gradients")
    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print("icons: app icon 128×128 and symbolic icon 16×16 are well-formed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
