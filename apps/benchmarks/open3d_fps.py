#!/usr/bin/python3
"""Open3D's farthest_point_down_sample on 100k random points -> 4096, one thread, median of runs.
The reference for `unirep bench --fps 100000` (Debian python3-open3d; never used by the SDK)."""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import open3d as o3d

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
m = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
rng = np.random.default_rng(0)
pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(rng.uniform(-1, 1, (n, 3))))
pcd.farthest_point_down_sample(m)  # warm-up
times = []
for _ in range(5):
    t0 = time.perf_counter()
    pcd.farthest_point_down_sample(m)
    times.append(time.perf_counter() - t0)
times.sort()
print(f"open3d farthest_point_down_sample {n} -> {m}: median {times[len(times) // 2] * 1e3:.2f} ms")
