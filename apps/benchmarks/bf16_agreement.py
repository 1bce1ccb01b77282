#!/usr/bin/env python3
"""bf16 against fp32 on a trained model's test split (docs/performance.md, "bf16 inference").

Runs `unirep classify-TASK --json --top-k 1` over the test files once in each precision and
reports the top-1 agreement, the accuracy of each (the true class is the file's folder or list
entry) and the wall time of each pass. The test split is the one the data makers write:

  audio   DATA/testing_list.txt (Speech Commands layout; label = first path part)
  image   DATA/test/<label>/*     video  DATA/test/<label>/*
  points  DATA/shapes_test.txt (names of files in DATA/<label>/, as `unirep data shapes` writes)

Usage: bf16_agreement.py TASK MODEL_FILE DATA [--unirep PATH] [--threads N] [--json]
"""
import argparse
import json
import os
import subprocess
import sys
import time


def test_files(task, data):
    """(path, label) pairs of the test split."""
    if task == "audio":
        with open(os.path.join(data, "testing_list.txt")) as f:
            rel = [line.strip() for line in f if line.strip()]
        return [(os.path.join(data, r), r.split("/")[0]) for r in rel]
    if task in ("image", "video"):
        root = os.path.join(data, "test")
        return [(os.path.join(root, label, name), label)
                for label in sorted(os.listdir(root))
                for name in sorted(os.listdir(os.path.join(root, label)))]
    if task == "points":
        with open(os.path.join(data, "shapes_test.txt")) as f:
            names = [line.strip() for line in f if line.strip()]
        out = []
        for name in names:
            label = name.rsplit("_", 1)[0]
            folder = os.path.join(data, label)
            match = [n for n in os.listdir(folder) if os.path.splitext(n)[0] == name]
            if len(match) != 1:
                sys.exit(f"{folder}: no single file for test shape {name}")
            out.append((os.path.join(folder, match[0]), label))
        return out
    sys.exit(f"unknown task {task}")


def top1(unirep, task, model, files, precision, threads):
    """Top-1 label per file and the seconds the pass took (one process for all files)."""
    model_flag = "--model-file"
    cmd = [unirep, f"classify-{task}", model_flag, model, "--json", "--top-k", "1",
           "--precision", precision, "--threads", str(threads)] + files
    start = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd[:8])} ...: exit {run.returncode}\n{run.stderr[-2000:]}")
    labels = {}
    for line in run.stdout.splitlines():
        if not line.startswith("{"):
            continue
        j = json.loads(line)
        best = j.get("top") or j.get("labels")
        labels[j["file"]] = best[0]["label"]
    missing = [f for f in files if f not in labels]
    if missing:
        sys.exit(f"no result for {len(missing)} files, e.g. {missing[0]}")
    return [labels[f] for f in files], seconds


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", choices=["audio", "image", "video", "points"])
    p.add_argument("model_file")
    p.add_argument("data")
    p.add_argument("--unirep", default="build/release/apps/unirep/unirep")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    pairs = test_files(a.task, a.data)
    files = [f for f, _ in pairs]
    truth = [label for _, label in pairs]
    fp32, t32 = top1(a.unirep, a.task, a.model_file, files, "fp32", a.threads)
    bf16, t16 = top1(a.unirep, a.task, a.model_file, files, "bf16", a.threads)
    n = len(files)
    result = {
        "task": a.task, "model_file": a.model_file, "files": n,
        "agreement": sum(x == y for x, y in zip(fp32, bf16)) / n,
        "fp32_top1": sum(x == t for x, t in zip(fp32, truth)) / n,
        "bf16_top1": sum(x == t for x, t in zip(bf16, truth)) / n,
        "fp32_s": round(t32, 2), "bf16_s": round(t16, 2),
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(f"{a.task}: {n} test files, top-1 agreement {100 * result['agreement']:.2f}%, "
              f"accuracy fp32 {100 * result['fp32_top1']:.2f}% / bf16 {100 * result['bf16_top1']:.2f}%, "
              f"time fp32 {t32:.1f} s / bf16 {t16:.1f} s")


if __name__ == "__main__":
    main()
