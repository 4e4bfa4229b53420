"""A synthetic, valid dump of N events, streamed to disk (benchmarks).

    /usr/bin/python3 -m neuronlib.tracefmt.synth OUT.dump 10000000 [--harts 4]

Each hart gets a plausible mix: switches, wakeups, steal begin/end
pairs, IPI send/recv/handled triples paired by id, idle, runqueue length
and PerCpu remote records (ids 0, valid against no particular ELF:
identity 0). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
import sys

from . import dump as dumpfmt
from .records import TYPE_BY_NAME as T


def _events(hart: int, harts: int, count: int, seed: int):
    rng = random.Random(seed * 1000 + hart)
    time = 1000 + hart
    seq = 0
    task = hart * 1000
    ipi = steal = 0
    while seq < count:
        time += rng.randint(5, 200)
        kind = rng.random()
        if kind < 0.3:
            prev, task = task, hart * 1000 + rng.randint(0, 99)
            batch = [(T["switch"], 0, prev & 0xFFFF, task)]
        elif kind < 0.45:
            batch = [(T["wakeup"], rng.randrange(harts), 0, rng.randint(0, 5000))]
        elif kind < 0.55:
            steal += 1
            victim = (hart + 1) % harts
            batch = [(T["steal_begin"], victim, 0, steal), (T["steal_end"], victim, 1, steal)]
        elif kind < 0.7:
            ipi += 1
            batch = [(T["ipi_send"], (hart + 1) % harts, 0, ipi)]
        elif kind < 0.8:
            ipi += 1
            sender = (hart + harts - 1) % harts
            batch = [(T["ipi_recv"], sender, 0, ipi), (T["ipi_handled"], sender, 0, ipi)]
        elif kind < 0.9:
            batch = [(T["idle_enter"], 0, 0, 0), (T["idle_exit"], 0, 0, 0)]
        elif kind < 0.95:
            batch = [(T["runq_len"], 0, rng.randint(0, 16), 0)]
        else:
            batch = [(T["remote"], (hart + 1) % harts, 0, 0)]
        for type_, b, h, w in batch:
            if seq >= count:
                break
            yield seq, type_, b, h, w, time
            seq += 1
            time += 3


def generate(path, events: int, harts: int = 4, seed: int = 1, timebase_hz: int = 10_000_000) -> None:
    per_hart = [events // harts + (1 if i < events % harts else 0) for i in range(harts)]
    data = [dumpfmt.HartData(h, per_hart[h], 0, _events(h, harts, per_hart[h], seed), per_hart[h])
            for h in range(harts)]
    dumpfmt.write(path, data, timebase_hz=timebase_hz, capacity=max(max(per_hart), 16),
                  identity=0, max_harts=max(32, harts))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("events", type=int)
    parser.add_argument("--harts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.events < 0 or not 1 <= args.harts <= 255:
        print("synth: events must be >= 0 and harts 1..255", file=sys.stderr)
        return 2
    generate(args.out, args.events, args.harts, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
