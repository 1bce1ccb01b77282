#!/usr/bin/python3
"""torchaudio's Kaldi fbank with the official UniRepLKNet audio settings, on 60 s of noise: the
reference point for `unirep bench --fbank --threads 1`. Run with the system python that has
torch and torchaudio (python3-torchaudio): /usr/bin/python3 apps/benchmarks/torchaudio_fbank.py"""
import time

import torch
import torchaudio

torch.set_num_threads(1)
wave = (torch.rand(1, 60 * 16000) * 2 - 1) * 0.3


def run():
    return torchaudio.compliance.kaldi.fbank(
        wave - wave.mean(), htk_compat=True, sample_frequency=16000, use_energy=False,
        window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10)


run()
times = []
for _ in range(10):
    t0 = time.perf_counter()
    run()
    times.append(time.perf_counter() - t0)
median = sorted(times)[len(times) // 2]
print(f"torchaudio fbank: {60 / median:.1f} s of audio per second (median {median:.4f} s per 60 s, 1 thread)")
