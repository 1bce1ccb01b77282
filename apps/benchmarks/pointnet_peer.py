#!/usr/bin/python3
"""PointNet (Qi et al. 2017, the classification network) trained in PyTorch on a ModelNet-style
folder: the peer baseline `unirep train points` is compared with in docs/points.md. Same split,
same preprocessing (unit sphere, farthest point sampling from point 0), the same epoch budget and
the same scores (top-1 at test rotation 0 and over the average of the 8 fixed test rotations), so
the two numbers differ by the model and its training only.

Standard library, numpy and Debian's python3-torch only (run it with /usr/bin/python3):

    /usr/bin/python3 apps/benchmarks/pointnet_peer.py /tmp/demo/shapes --epochs 40 --points 1024 \\
        --seed 1 --threads 2 --json-out pointnet.json
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# Data: the layout of `unirep data shapes` / ModelNet40's modelnet40_normal_resampled
# ---------------------------------------------------------------------------------------------

PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


def read_ply_header(data, path):
    """Returns (format, elements, offset of the body); elements are [name, count, [(prop, type)]],
    a list property's type being None (only its position matters: it cannot precede the vertices)."""
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise ValueError(f"{path}: not a PLY file")
    body = data.index(b"\n", end) + 1
    fmt, elements = None, []
    for line in data[:end].decode("ascii", "replace").splitlines()[1:]:
        words = line.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        if words[0] == "format":
            fmt = words[1]
        elif words[0] == "element":
            elements.append([words[1], int(words[2]), []])
        elif words[0] == "property" and elements:
            list_prop = words[1] == "list"
            if not list_prop and words[1] not in PLY_TYPES:
                raise ValueError(f"{path}: unknown PLY type '{words[1]}'")
            elements[-1][2].append((words[-1], None if list_prop else PLY_TYPES[words[1]]))
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise ValueError(f"{path}: unsupported PLY format '{fmt}'")
    return fmt, elements, body


def vertex_rows_ascii(data, body, elements, path):
    # One line per element item: skip the lines of any element before the vertices.
    lines = data[body:].decode("ascii", "replace").split("\n")
    skip = 0
    for name, count, props in elements:
        if name == "vertex":
            rows = [line.split()[: len(props)] for line in lines[skip : skip + count]]
            if len(rows) < count or any(len(r) < len(props) for r in rows):
                raise ValueError(f"{path}: truncated vertex data")
            return np.asarray(rows, dtype=np.float64).reshape(count, len(props)), [p for p, _ in props]
        skip += count
    raise ValueError(f"{path}: no vertex element")


def vertex_rows_binary(data, body, elements, endian, path):
    offset = body
    for name, count, props in elements:
        if any(t is None for _, t in props):
            raise ValueError(f"{path}: a list property before the vertices")
        dtype = np.dtype([(p, endian + t) for p, t in props])
        if name == "vertex":
            if offset + count * dtype.itemsize > len(data):
                raise ValueError(f"{path}: truncated vertex data")
            rec = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            return np.stack([rec[p].astype(np.float64) for p, _ in props], 1), [p for p, _ in props]
        offset += count * dtype.itemsize
    raise ValueError(f"{path}: no vertex element")


def read_ply(path):
    """The x y z of a PLY file's vertices as an (N, 3) float64 array; faces and other
    properties (normals, colours) are ignored."""
    with open(path, "rb") as f:
        data = f.read()
    fmt, elements, body = read_ply_header(data, path)
    if fmt == "ascii":
        rows, names = vertex_rows_ascii(data, body, elements, path)
    else:
        rows, names = vertex_rows_binary(data, body, elements, "<" if fmt == "binary_little_endian" else ">", path)
    if not all(a in names for a in "xyz"):
        raise ValueError(f"{path}: the vertices have no x y z")
    xyz = rows[:, [names.index(a) for a in "xyz"]]
    xyz = xyz[np.isfinite(xyz).all(1)]  # as the SDK: non-finite points are dropped
    if len(xyz) == 0:
        raise ValueError(f"{path}: no points")
    return xyz


def read_lines(path):
    with open(path) as f:
        return [line.rstrip("\r\n ") for line in f if line.strip()]


def list_split(root, split):
    """(path, label) pairs of `<root>/*_<split>.txt`, sorted by path as the SDK sorts them. The
    class is the item name without its last `_<id>` (ModelNet's `airplane_0001`, our `box_1`)."""
    labels = read_lines(os.path.join(root, "shape_names.txt"))
    index = {c: i for i, c in enumerate(labels)}
    items = []
    for f in sorted(os.listdir(root)):
        if not f.endswith(f"_{split}.txt"):
            continue
        for name in read_lines(os.path.join(root, f)):
            cls = name.rsplit("_", 1)[0]
            if cls not in index:
                raise ValueError(f"{f}: '{name}' is of a class not in shape_names.txt")
            items.append((os.path.join(root, cls, name + ".ply"), index[cls]))
    return labels, sorted(items)


# ---------------------------------------------------------------------------------------------
# Preprocessing, as modalities/points/normalize.cpp and farthest_point_sampling.cpp
# ---------------------------------------------------------------------------------------------


def normalize(xyz):
    """Centre on the centroid, divide by the largest radius (in double, as the SDK)."""
    centred = xyz - xyz.mean(0)
    r = math.sqrt((centred**2).sum(1).max())
    return (centred / r if r > 0 else centred).astype(np.float32)


def farthest_point_sampling(xyz, m):
    """Indices of m points from point 0; np.argmax takes the first maximum, which is the SDK's tie
    rule (lowest index). float32 as the SDK, so the same points are chosen."""
    n = len(xyz)
    if m >= n:
        return np.arange(n)
    out = np.empty(m, dtype=np.int64)
    dist = np.full(n, np.inf, dtype=np.float32)
    last = 0
    for i in range(m):
        out[i] = last
        d = xyz - xyz[last]
        dist = np.minimum(dist, (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2])
        last = int(np.argmax(dist))
    return out


def load_cloud(path, points):
    xyz = normalize(read_ply(path))
    xyz = xyz[farthest_point_sampling(xyz, points)]
    if len(xyz) < points:  # too few: tile and take the first N, as sdk/points/point_dataset.cpp
        xyz = np.tile(xyz, (-(-points // len(xyz)), 1))[:points]
    return xyz


def load_split(items, points):
    clouds = np.stack([load_cloud(p, points) for p, _ in items])
    return clouds, np.array([label for _, label in items], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# Rotations and augmentation
# ---------------------------------------------------------------------------------------------


def axis_angle(k, a):
    kx, ky, kz = k
    c, s, t = math.cos(a), math.sin(a), 1 - math.cos(a)
    return np.array([[c + kx * kx * t, kx * ky * t - kz * s, kx * kz * t + ky * s],
                     [ky * kx * t + kz * s, c + ky * ky * t, ky * kz * t - kx * s],
                     [kz * kx * t - ky * s, kz * ky * t + kx * s, c + kz * kz * t]])


def theta_phi_rotation(theta, phi):
    """modalities::theta_phi_rotation: R1 rotates by -theta about z, R2 by -phi about
    (sin theta, -cos theta, 0); the result is R1 R2."""
    r1 = axis_angle((0.0, 0.0, 1.0), -theta)
    r2 = axis_angle((math.sin(theta), -math.cos(theta), 0.0), -phi)
    return (r1 @ r2).astype(np.float32)


def test_rotations():
    """The 8 fixed test rotations of modalities::test_rotation(k) (point_file_list.cpp):
    phi = -0.35 pi, theta = (0.1 + 0.2375 k) pi. The SDK's "rotation 0" score is k = 0, not the
    identity."""
    return [theta_phi_rotation((0.1 + 0.2375 * k) * math.pi, -0.35 * math.pi) for k in range(8)]


def random_rotations(rng, b, mode):
    if mode == "none":
        return np.broadcast_to(np.eye(3, dtype=np.float32), (b, 3, 3))
    if mode == "z":
        a = rng.uniform(0, 2 * math.pi, b)
        c, s, o, i = np.cos(a), np.sin(a), np.zeros(b), np.ones(b)
        return np.stack([c, -s, o, s, c, o, o, o, i], 1).reshape(b, 3, 3).astype(np.float32)
    # A normalized Gaussian 4-vector is a uniform unit quaternion: uniform on SO(3).
    q = rng.standard_normal((b, 4))
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    r = [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
         2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
         2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]
    return np.stack(r, 1).reshape(b, 3, 3).astype(np.float32)


def augment(clouds, rng, mode, isotropic):
    """Per cloud: shuffled order, jitter (sigma 0.01, clipped at 0.05), a random rotation, then
    the SDK's scale U[2/3, 3/2] (per axis, or one factor with `isotropic`, as `unirep train points
    --isotropic-scale`) and shift U[-0.2, 0.2] per axis."""
    b, n, _ = clouds.shape
    order = np.argsort(rng.random((b, n)), axis=1)
    x = np.take_along_axis(clouds, order[:, :, None], axis=1)
    x = x + np.clip(0.01 * rng.standard_normal(x.shape), -0.05, 0.05).astype(np.float32)
    x = np.einsum("bnj,bij->bni", x, random_rotations(rng, b, mode))
    scale = rng.uniform(2.0 / 3, 1.5, (b, 1, 1 if isotropic else 3))
    shift = rng.uniform(-0.2, 0.2, (b, 1, 3))
    return (x * scale + shift).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# PointNet
# ---------------------------------------------------------------------------------------------


def shared_mlp(sizes):
    """1x1 convolutions with BatchNorm and ReLU: the same MLP applied to every point."""
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Conv1d(a, b, 1), nn.BatchNorm1d(b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def fc_stack(sizes, dropout):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class TNet(nn.Module):
    """Predicts a k x k transform; starts as the identity (zero last layer, identity bias) so
    training begins from the plain network."""

    def __init__(self, k):
        super().__init__()
        self.k = k
        self.features = shared_mlp([k, 64, 128, 1024])
        self.fc = fc_stack([1024, 512, 256], 0.0)
        self.out = nn.Linear(256, k * k)
        nn.init.zeros_(self.out.weight)
        with torch.no_grad():
            self.out.bias.copy_(torch.eye(k).flatten())

    def forward(self, x):
        g = self.features(x).max(2).values
        return self.out(self.fc(g)).view(-1, self.k, self.k)


class PointNet(nn.Module):
    def __init__(self, classes, tnet):
        super().__init__()
        self.input_tnet = TNet(3) if tnet else None
        self.feature_tnet = TNet(64) if tnet else None
        self.mlp1 = shared_mlp([3, 64, 64])
        self.mlp2 = shared_mlp([64, 64, 128, 1024])
        # Dropout 0.3 (keep 0.7) after both hidden layers, as the authors' pointnet_cls.py.
        self.head = nn.Sequential(fc_stack([1024, 512, 256], 0.3), nn.Linear(256, classes))

    def forward(self, x):
        """x: (B, N, 3). Returns logits and the feature transform (None without T-Nets)."""
        x = x.transpose(1, 2)
        if self.input_tnet is not None:
            x = torch.bmm(self.input_tnet(x).transpose(1, 2), x)
        x = self.mlp1(x)
        a = None
        if self.feature_tnet is not None:
            a = self.feature_tnet(x)
            x = torch.bmm(a.transpose(1, 2), x)
        return self.head(self.mlp2(x).max(2).values), a


def orthogonality_loss(a):
    """||I - A A^T||_F^2, the paper's regularizer keeping the feature transform near orthogonal."""
    eye = torch.eye(a.size(1), dtype=a.dtype)
    return ((eye - torch.bmm(a, a.transpose(1, 2))) ** 2).sum((1, 2)).mean()


# ---------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------


def batches(n, size, rng):
    order = rng.permutation(n)
    for i in range(0, n, size):
        idx = order[i : i + size]
        if len(idx) > 1:  # BatchNorm cannot train on a single example
            yield idx


def train_epoch(model, opt, sched, clouds, labels, rng, args):
    model.train()
    total_loss = correct = seen = 0
    for idx in batches(len(labels), args.batch, rng):
        x = torch.from_numpy(augment(clouds[idx], rng, args.rotate, args.isotropic_scale))
        y = torch.from_numpy(labels[idx])
        logits, a = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
        if a is not None:
            loss = loss + args.ortho_weight * orthogonality_loss(a)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total_loss += loss.item() * len(idx)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(idx)
    return total_loss / seen, 100.0 * correct / seen


@torch.no_grad()
def rotation_probabilities(model, clouds, batch):
    """(8, shapes, classes) softmax probabilities of each test rotation, p' = R p as
    sdk::with_test_rotation."""
    model.eval()
    out = []
    for r in test_rotations():
        rotated = torch.from_numpy(np.ascontiguousarray(clouds @ r.T))
        out.append(torch.cat([F.softmax(model(rotated[i : i + batch])[0], 1) for i in range(0, len(rotated), batch)]))
    return torch.stack(out)


def evaluate(model, clouds, labels, batch):
    probs = rotation_probabilities(model, clouds, batch)
    y = torch.from_numpy(labels)
    top1 = 100.0 * (probs[0].argmax(1) == y).float().mean().item()
    average = 100.0 * (probs.mean(0).argmax(1) == y).float().mean().item()
    return top1, average


def cosine_schedule(opt, steps):
    """Per optimizer step from the base rate down to 0, as the SDK's schedule steps."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="ModelNet-style folder (shape_names.txt, *_train.txt, *_test.txt, <class>/<item>.ply)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--points", type=int, default=1024, help="points per shape after farthest point sampling")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--tnet", action=argparse.BooleanOptionalAction, default=True,
                   help="input (3x3) and feature (64x64) T-Nets")
    p.add_argument("--ortho-weight", type=float, default=0.001, help="weight of the feature transform regularizer")
    p.add_argument("--rotate", choices=["so3", "z", "none"], default="so3", help="training rotation")
    p.add_argument("--isotropic-scale", action="store_true",
                   help="one scale factor for the three axes (keeps proportions, which tell a cube from a box)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json-out", help="also write the result JSON to this file")
    return p.parse_args()


def load_data(args):
    t = time.time()
    labels, train_items = list_split(args.data, "train")
    _, test_items = list_split(args.data, "test")
    if not train_items or not test_items:
        sys.exit(f"{args.data}: needs both a *_train.txt and a *_test.txt list")
    train, test = load_split(train_items, args.points), load_split(test_items, args.points)
    print(f"{len(train_items)} train, {len(test_items)} test shapes, {len(labels)} classes, "
          f"{args.points} points, preprocessed in {time.time() - t:.1f} s", flush=True)
    return labels, train, test


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    labels, (train_x, train_y), (test_x, test_y) = load_data(args)
    model = PointNet(len(labels), args.tnet)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = cosine_schedule(opt, args.epochs * len(list(batches(len(train_y), args.batch, np.random.default_rng(0)))))
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        t = time.time()
        loss, acc = train_epoch(model, opt, sched, train_x, train_y, rng, args)
        print(f"epoch {epoch}/{args.epochs}  loss {loss:.4f}  train acc {acc:.2f}%  {time.time() - t:.1f} s", flush=True)
    train_seconds = time.time() - start
    top1, average = evaluate(model, test_x, test_y, args.batch)
    result = {"model": "pointnet", "epochs": args.epochs, "points": args.points, "seed": args.seed,
              "train_shapes": len(train_y), "test_shapes": len(test_y), "test_top1": round(top1, 2),
              "test_top1_rotation_average": round(average, 2), "train_seconds": round(train_seconds, 1)}
    print(json.dumps(result), flush=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
