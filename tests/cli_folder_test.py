#!/usr/bin/python3
"""`cnnrt MODEL DIR`: folder classification on the Fashion-MNIST test set saved as a tree
of JPEGs (one sub-folder per class), through the command line.

Checks the accuracy report (>= --min), the JSON report, the confusion-matrix PNG, that
results do not depend on threads or batch size (the reader thread hands batches over in
order), the throughput line, the progress bar (only on a terminal), folder-name matching
and the failure modes.

    /usr/bin/python3 tests/cli_folder_test.py --cnnrt build/cnnrt --data DIR --workdir W
Exit status 0 when every check passed, 1 otherwise.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "fashion_mnist" / "model.json"
SAMPLES = ROOT / "models" / "fashion_mnist" / "samples"
CLASSES = 10

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def run(cnnrt, *args, tty=False):
    cmd = [str(cnnrt), str(MODEL), *map(str, args)]
    if tty:  # script(1) gives the command a terminal as stdout and stderr
        line = " ".join("'" + c.replace("'", "'\\''") + "'" for c in cmd)
        cmd = ["script", "-qec", line, "/dev/null"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def text_report(cnnrt, data, work):
    plot = work / "confusion.png"
    r = run(cnnrt, data, "--labels-from-dirs", "--plot", plot, "--top", "1")
    check(r.returncode == 0, f"text run exits 0 (got {r.returncode}: {r.stderr[-300:]})")
    images = [line for line in r.stdout.splitlines() if line.endswith(".jpg")]
    check(len(images) == 1000, f"1000 per-image results (got {len(images)})")
    m = re.search(r"^accuracy: ([0-9.]+) \((\d+) of (\d+) images, 10 classes\)$", r.stdout, re.M)
    check(m is not None, "accuracy line")
    accuracy = float(m.group(1)) if m else 0.0
    per_class = re.findall(r"^ +\d+ .{18} ([0-9.]+) \((\d+)/(\d+)\)$", r.stdout, re.M)
    check(len(per_class) == CLASSES, f"{CLASSES} per-class lines (got {len(per_class)})")
    check(sum(int(t) for _, _, t in per_class) == 1000, "per-class totals add up to 1000")
    rows = re.findall(r"^ +\d+ .{18}((?: +\d+){10})$", r.stdout, re.M)
    check(len(rows) == CLASSES and sum(sum(map(int, row.split())) for row in rows) == 1000,
          "confusion matrix: 10 rows adding up to 1000")
    speed = re.search(r"^1000 images in [0-9.]+ s: ([0-9.]+) images/s", r.stderr, re.M)
    check(speed is not None and float(speed.group(1)) > 0, "throughput line on stderr")
    check("\r" not in r.stderr and "[#" not in r.stderr, "no progress bar when not a terminal")
    check_plot(plot)
    return accuracy


def check_plot(path, min_side=300):
    from PIL import Image

    check(path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "--plot wrote a PNG")
    if not path.exists():
        return
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        check(im.format == "PNG" and im.mode == "RGB" and min(im.size) >= min_side,
              f"heat map is an RGB PNG of a useful size ({im.mode} {im.size})")
        darkest = min(sum(px) for px in im.convert("RGB").getdata())
        lightest = max(sum(px) for px in im.convert("RGB").getdata())
        check(darkest < 200 and lightest == 765, "heat map has dark cells and a white background")


def json_report(cnnrt, data, accuracy):
    r = run(cnnrt, data, "--labels-from-dirs", "--json", "--quiet", "--threads", "1",
            "--batch", "7", "--readers", "2")
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 1, "--json --quiet prints only the report line")
    if not lines:
        return
    report = json.loads(lines[-1])["report"]
    check(report["images"] == 1000 and abs(report["accuracy"] - accuracy) < 1e-4,
          f"JSON report agrees with the text one ({report['accuracy']} vs {accuracy})")
    matrix = report["confusion"]["matrix"]
    check(report["confusion"]["classes"] == list(range(CLASSES))
          and sum(map(sum, matrix)) == 1000
          and sum(matrix[i][i] for i in range(CLASSES)) == report["correct"],
          "JSON confusion matrix is consistent")
    check([c["label"] for c in report["classes"]][9] == "Ankle boot"
          and all(c["images"] == sum(matrix[i]) for i, c in enumerate(report["classes"])),
          "JSON per-class entries")
    t = report["throughput"]
    check(t["images_per_second"] > 0 and t["batch"] == 7 and t["threads"] == 1
          and t["readers"] == 2,
          f"JSON throughput {t}")


def same_results(cnnrt, data):
    a = run(cnnrt, data, "--json", "--top", "3", "--threads", "1", "--batch", "5",
            "--readers", "1")
    b = run(cnnrt, data, "--json", "--top", "3", "--threads", "2", "--batch", "16",
            "--readers", "3")
    check(a.returncode == 0 and b.returncode == 0 and len(a.stdout.splitlines()) == 1000,
          "unlabelled runs succeed with one line per image")
    check(a.stdout == b.stdout,
          "results identical for threads 1 / batch 5 / 1 reader and 2 / 16 / 3 readers")
    paths = [json.loads(line)["image"] for line in a.stdout.splitlines()]
    check(paths == sorted(paths), "images in sorted order")


def progress_bar(cnnrt, data):
    if not shutil.which("script"):
        check(False, "script(1) is needed for the terminal check (package bsdutils)")
        return
    r = run(cnnrt, data, "--quiet", tty=True)
    check(r.returncode == 0 and "[#" in r.stdout and "1000/1000 images" in r.stdout,
          "progress bar drawn on a terminal")


def folder_names(cnnrt, work):
    tree = work / "names"
    shutil.rmtree(tree, ignore_errors=True)
    for folder, sample in [("8", "bag_18.jpg"), ("Ankle boot", "ankle_boot_0.jpg"),
                           ("t_shirt_top", "t_shirt_top_19.jpg"), ("TROUSER", "trouser_2.jpg")]:
        (tree / folder / "deeper").mkdir(parents=True)
        shutil.copy(SAMPLES / sample, tree / folder / "deeper" / sample.upper())
    (tree / "Ankle boot" / ".hidden.jpg").write_bytes(b"not an image")
    (tree / "8" / "notes.txt").write_text("not an image either")
    r = run(cnnrt, tree, "--labels-from-dirs", "--json", "--quiet")
    report = json.loads(r.stdout.splitlines()[-1])["report"] if r.returncode == 0 else {}
    check(report.get("images") == 4 and report.get("correct") == 4
          and [c["index"] for c in report.get("classes", [])] == [0, 1, 8, 9],
          f"folder names: index, label, slug, any case; hidden and non-images skipped ({r.stderr})")


def other_column(cnnrt, work):
    """Predictions outside the classes present go to an "other" column."""
    tree = work / "other"
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "trouser").mkdir(parents=True)
    shutil.copy(SAMPLES / "trouser_2.jpg", tree / "trouser")
    shutil.copy(SAMPLES / "bag_18.jpg", tree / "trouser")  # mislabelled on purpose
    plot = work / "other.png"
    text = run(cnnrt, tree, "--labels-from-dirs", "--quiet", "--plot", plot)
    js = run(cnnrt, tree, "--labels-from-dirs", "--quiet", "--json")
    report = json.loads(js.stdout.splitlines()[-1])["report"] if js.returncode == 0 else {}
    check(text.returncode == 0 and re.search(r"^ +1 +other$", text.stdout, re.M)
          and re.search(r"^ +1 Trouser +1 +1$", text.stdout, re.M)
          and report.get("confusion", {}).get("other") == [1] and report.get("correct") == 1,
          f"a prediction outside the shown classes is counted as other:\n{text.stdout}")
    check_plot(plot, min_side=100)


def failure_modes(cnnrt, data, work):
    bad = work / "bad"
    shutil.rmtree(bad, ignore_errors=True)
    (bad / "socks").mkdir(parents=True)
    shutil.copy(SAMPLES / "bag_18.jpg", bad / "socks")
    r = run(cnnrt, bad, "--labels-from-dirs")
    check(r.returncode == 1 and "'socks' is no class" in r.stderr, "unknown class folder")

    loose = work / "loose"
    shutil.rmtree(loose, ignore_errors=True)
    loose.mkdir()
    shutil.copy(SAMPLES / "bag_18.jpg", loose)
    r = run(cnnrt, loose, "--labels-from-dirs")
    check(r.returncode == 1 and "no true label" in r.stderr, "image outside a class folder")
    r = run(cnnrt, loose, "--top", "1")
    check(r.returncode == 0 and "Bag (8)" in r.stdout, "unlabelled folder with one image")

    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    r = run(cnnrt, empty)
    check(r.returncode == 1 and "no images" in r.stderr, f"empty folder ({r.stderr})")

    broken = work / "broken"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(data / "bag", broken / "bag")
    (broken / "bag" / "00000_broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    r = run(cnnrt, broken, "--labels-from-dirs", "--quiet", "--batch", "4")
    n = len(list((broken / "bag").glob("*.jpg")))
    check(r.returncode == 1 and "00000_broken.jpg" in r.stderr
          and f"of {n - 1} images" in r.stdout,
          f"a broken image is reported, the others are counted ({r.stdout[:80]!r})")

    r = run(cnnrt, data / "bag", "--labels-from-dirs")
    check(r.returncode == 1 and "not inside a class sub-folder" in r.stderr,
          "labels need class sub-folders below the folder given")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cnnrt", required=True)
    p.add_argument("--data", type=Path, required=True, help="the Fashion-MNIST folder tree")
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--min", type=float, default=0.89, help="minimum accuracy")
    args = p.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if not (args.data / ".complete").exists():
        subprocess.run([sys.executable, str(ROOT / "tests" / "make_fashion_folder.py"),
                        str(args.data)], check=True)
    accuracy = text_report(args.cnnrt, args.data, args.workdir)
    check(accuracy >= args.min, f"accuracy {accuracy:.4f} >= {args.min}")
    json_report(args.cnnrt, args.data, accuracy)
    same_results(args.cnnrt, args.data)
    progress_bar(args.cnnrt, args.data)
    folder_names(args.cnnrt, args.workdir)
    other_column(args.cnnrt, args.workdir)
    failure_modes(args.cnnrt, args.data, args.workdir)
    print(f"{len(failures)} failed" if failures else "folder classification: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.pop("COLUMNS", None)
    sys.exit(main())
