#!/usr/bin/python3
"""`cnnrt MODEL IMAGE --dump-features DIR`: the pictures, index.html, and that every
picture loads when index.html is opened in headless Chromium.

    /usr/bin/python3 tests/cli_features_test.py --cnnrt build/cnnrt --workdir W
        [--chromium PATH | --no-browser]
Exit status 0 when every check passed, 1 otherwise.
"""

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "fashion_mnist" / "model.json"
IMAGE = ROOT / "models" / "fashion_mnist" / "samples" / "bag_18.jpg"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def png_size(path):
    from PIL import Image

    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        return im.size


def check_pictures(out, nodes):
    for i, node in enumerate(nodes):
        name = re.sub(r"[^A-Za-z0-9._-]", "_", node["name"])
        path = out / f"{i:03d}_{name}.png"
        check(path.exists() and path.read_bytes()[:8] == PNG_SIGNATURE, f"{path.name} is a PNG")
    # conv1: 16 maps of 28x28 drawn twice as large in a 4 x 4 grid with 2-pixel gaps.
    check(png_size(out / "000_features.0.png") == (4 * (56 + 2) + 2,) * 2, "grid geometry")
    # the logits: 10 values in one strip of 24-pixel cells.
    check(png_size(out / "009_classifier.3.png") == (10 * 25 + 1 + 4, 25 + 1 + 4), "strip geometry")
    check(png_size(out / "input.png") == (56 + 4,) * 2, "input tensor picture (one 56-pixel tile)")
    check((out / "image.jpg").read_bytes() == IMAGE.read_bytes(), "the image is copied as given")


def check_html(out, nodes):
    page = (out / "index.html").read_text()
    positions = [page.find(f"&middot; {html.escape(n['name'])} ") for n in nodes]
    check(all(p >= 0 for p in positions) and positions == sorted(positions),
          "index.html names every node, in execution order")
    check("[1, 16, 28, 28]" in page and "[1, 10]" in page, "index.html shows the shapes")
    check("fused at load into features.0" in page and "includes the fused features.1" in page,
          "fused nodes say whose output they show")
    sources = re.findall(r'<img[^>]* src="([^"]+)"', page)
    check(len(sources) == len(nodes) + 2 and all((out / s).exists() for s in sources),
          f"{len(sources)} <img> tags, every one pointing at a written file")
    return len(sources)


def chromium_loads(chromium, page, profile):
    """(images, loaded, states) as the page itself counted them in headless Chromium."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
           "--dump-dom", page.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    body = re.search(r'<body data-images="(\d+)" data-loaded="(\d+)"', r.stdout)
    states = re.findall(r'data-state="(\w+)"', r.stdout)
    if not body:
        print(r.stdout[-2000:], r.stderr[-2000:], file=sys.stderr)
        return -1, -1, states
    return int(body.group(1)), int(body.group(2)), states


def check_browser(chromium, out, work, expected):
    images, loaded, states = chromium_loads(chromium, out / "index.html", work / "profile")
    check(images == expected and loaded == expected,
          f"Chromium: {loaded} of {images} pictures loaded (expected {expected})")
    check(states.count("loaded") == expected and "error" not in states,
          "Chromium: every <img> fired onload")
    # The check can fail: the same page with one picture missing.
    broken = work / "features_broken"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(out, broken)
    (broken / "003_features.3.png").unlink()
    images, loaded, states = chromium_loads(chromium, broken / "index.html", work / "profile")
    check(images == expected and loaded == expected - 1 and states.count("error") == 1,
          f"Chromium notices a missing picture ({loaded} of {images})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cnnrt", required=True)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--chromium", default=shutil.which("chromium"))
    p.add_argument("--no-browser", action="store_true")
    args = p.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = args.workdir / "features"
    shutil.rmtree(out, ignore_errors=True)

    summary = subprocess.run([args.cnnrt, MODEL, "--summary", "--json"], capture_output=True,
                             text=True, check=True)
    nodes = json.loads(summary.stdout)["nodes"]
    r = subprocess.run([args.cnnrt, MODEL, IMAGE, "--dump-features", out, "--threads", "2"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "Bag (8)" in r.stdout.splitlines()[1],
          f"--dump-features runs and classifies ({r.returncode}, {r.stderr})")
    check(r.stdout.rstrip().endswith(f"{out}/index.html"), "prints where index.html is")
    check_pictures(out, nodes)
    expected = check_html(out, nodes)
    if args.no_browser:
        print("skipped: the Chromium check (--no-browser)")
    elif not args.chromium:
        check(False, "chromium is not installed (sh scripts/setup.sh test installs it)")
    else:
        check_browser(args.chromium, out, args.workdir, expected)

    r = subprocess.run([args.cnnrt, MODEL, args.workdir / "missing.jpg", "--dump-features",
                        args.workdir / "f2"], capture_output=True, text=True)
    check(r.returncode == 1 and "missing.jpg" in r.stderr, "a missing image fails")
    (args.workdir / "a_file").write_text("x")
    r = subprocess.run([args.cnnrt, MODEL, IMAGE, "--dump-features", args.workdir / "a_file"],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "a_file" in r.stderr, "a file in the folder's place fails")
    print(f"{len(failures)} failed" if failures else "feature maps: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
