#!/usr/bin/python3
"""The official UniRepLKNet model, reparameterized, frozen and optimized as TorchScript: the baseline
`unirep bench --path fast|reference` is compared with (docs/performance.md). Prints the same JSON fields.

The official model file is not part of this repository (we never ship upstream code): download
`unireplknet.py` from https://github.com/AILab-CVC/UniRepLKNet yourself and pass its path.

    /usr/bin/python3 apps/benchmarks/official_bench.py PATH/TO/unireplknet.py --model a --batch 1 --threads 1
"""
import argparse
import importlib.util
import json
import resource
import sys
import time

import types

import torch


def provide_timm_if_missing():
    """The official file imports four helpers from timm (not in Debian 12). For inference the
    stand-ins below are equivalent: DropPath is the identity in eval mode, trunc_normal_ only
    initializes, register_model only registers."""
    try:
        import timm.models.layers  # noqa: F401
        return
    except ImportError:
        pass

    class DropPath(torch.nn.Module):
        def __init__(self, drop_prob=0.0):
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x):
            return x

    layers = types.ModuleType("timm.models.layers")
    layers.trunc_normal_ = torch.nn.init.trunc_normal_
    layers.DropPath = DropPath
    layers.to_2tuple = lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x)
    registry = types.ModuleType("timm.models.registry")
    registry.register_model = lambda f: f
    timm, models = types.ModuleType("timm"), types.ModuleType("timm.models")
    timm.models, models.layers, models.registry = models, layers, registry
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers, "timm.models.registry": registry})


def train_step(model, args):
    """PyTorch eager, as people train the official model: forward + backward, gradients cleared
    before each step (not timed)."""
    model.train()
    x = torch.randn(args.batch, 3, args.size, args.size)
    if args.channels_last:  # often faster on CPU: what a PyTorch user tuning for speed would do
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    for i in range(args.warmup + args.iters):
        model.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        model(x).sum().backward()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "model": args.model, "path": "official_eager", "step": "train",
        "memory_format": "channels_last" if args.channels_last else "nchw", "size": args.size, "batch": args.batch,
        "threads": args.threads, "iters": args.iters, "ms_median": round(median, 3), "ms_min": round(times[0], 3),
        "images_per_s": round(args.batch * 1000 / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("official", help="path to the official unireplknet.py")
    p.add_argument("--model", default="a", help="a f p n t s b l xl")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--train-step", action="store_true",
                   help="time forward + backward of the train structure in eager mode (loss = sum of logits) instead")
    p.add_argument("--channels-last", action="store_true",
                   help="with --train-step: model and input in torch.channels_last memory format")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    provide_timm_if_missing()
    spec = importlib.util.spec_from_file_location("unireplknet", args.official)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["unireplknet"] = mod
    spec.loader.exec_module(mod)
    model = getattr(mod, f"unireplknet_{args.model}")(num_classes=1000, attempt_use_lk_impl=False)
    if args.train_step:
        train_step(model, args)
        return
    model.eval()
    model.reparameterize_unireplknet()
    x = torch.randn(args.batch, 3, args.size, args.size)
    with torch.inference_mode():
        scripted = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
        for _ in range(args.warmup):
            scripted(x)
        times = []
        for _ in range(args.iters):
            t0 = time.perf_counter()
            scripted(x)
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "model": args.model, "path": "official_torchscript", "size": args.size, "batch": args.batch,
        "threads": args.threads, "iters": args.iters, "ms_median": round(median, 3), "ms_min": round(times[0], 3),
        "images_per_s": round(args.batch * 1000 / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
