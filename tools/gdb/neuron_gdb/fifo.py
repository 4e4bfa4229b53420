"""The kernel's bounded FIFOs as gdb sees them: an array field, `head`
and `count` in one struct. Runqueues (`slots`) and IPI mailboxes (`ring`)
are both this shape; one view walks them and says when they are broken.
"""

from __future__ import annotations

from dataclasses import dataclass

import gdb


@dataclass
class FifoView:
    hart: int
    value: gdb.Value      # the whole struct
    array: str            # its array field
    capacity: int
    head: int
    count: int

    def problem(self) -> str | None:
        """An impossible shape, in words; None when head and count fit."""
        if self.head >= self.capacity:
            return f"head {self.head} >= capacity {self.capacity}"
        if self.count > self.capacity:
            return f"count {self.count} > capacity {self.capacity}"
        return None

    def queued(self) -> list[gdb.Value]:
        """Entries oldest first; never more than capacity, whatever count says."""
        entries = self.value[self.array]
        n = min(self.count, self.capacity)
        return [entries[(self.head + i) % self.capacity] for i in range(n)]


def view(hart: int, value: gdb.Value, array: str) -> FifoView:
    low, high = value[array].type.range()
    return FifoView(hart, value, array, high - low + 1, int(value["head"]), int(value["count"]))
