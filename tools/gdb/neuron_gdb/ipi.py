"""IPI mailboxes: `neuron ipi [HART]`.

Each hart's mailbox is the per-CPU variable `ipi_mailboxes` (a bounded
ring of messages under its lock); its counters are `ipi_stats`.
"""

from __future__ import annotations

import gdb

from . import fifo, target
from .command import per_hart_command
from .percpu import PerCpuVar
from .target import Problem

MAILBOXES = "ipi_mailboxes"
STATS = "ipi_stats"


def kind_name(kind: int) -> str:
    """IPI_CALL -> call, by the enum's own names (DWARF)."""
    try:
        for field in target.lookup_type("enum ipi_kind").fields():
            if field.enumval == kind:
                return field.name[len("IPI_"):].lower()
    except Problem:
        pass
    return f"kind{kind}"


def kind_count() -> int | None:
    try:
        for field in target.lookup_type("enum ipi_kind").fields():
            if field.name == "IPI_KIND_COUNT":
                return field.enumval
    except Problem:
        pass
    return None


def mailbox(hart: target.Hart, label: str) -> fifo.FifoView:
    return fifo.view(hart.hart, PerCpuVar(MAILBOXES, label).value(hart), "ring")


def describe_message(message: gdb.Value) -> str:
    kind = int(message["kind"])
    obj = target.u64(message["object"])
    kinds = kind_count()
    text = f"{kind_name(kind)} seq={int(message['seq'])} from hart {int(message['from'])}"
    if kinds is not None and not 0 <= kind < kinds:
        text += " (IMPOSSIBLE: no such kind)"
    if obj:
        text += f" object={obj:#x}"
        name = kind_name(kind)
        try:
            if name == "call":
                call = target.value_at(obj, target.lookup_type("struct ipi_call"))
                text += f" fn={target.symbol_at(target.u64(call['fn']))} done={int(call['done'])}"
            elif name == "broadcast":
                b = target.value_at(obj, target.lookup_type("struct ipi_broadcast"))
                text += f" fn={target.symbol_at(target.u64(b['fn']))} acks={int(b['acks'])}"
        except (gdb.MemoryError, Problem):
            text += " (object unreadable)"
    return text


def per_kind(counts: gdb.Value) -> str:
    """`call=3 resched=1 ...`: an array indexed by IPI kind."""
    low, high = counts.type.range()
    return " ".join(f"{kind_name(k)}={int(counts[k])}" for k in range(low, high + 1))


@per_hart_command("ipi", "mailboxes are")
def ipi_command(hart: target.Hart) -> None:
    """Show IPI mailbox contents and counters, oldest message first."""
    box = mailbox(hart, "neuron ipi")
    v = box.value

    def details() -> list[str]:
        lines = [f"posted: {per_kind(v['posted'])} coalesced={int(v['coalesced'])} "
                 f"rejected_full={int(v['rejected_full'])}"]
        if target.tls_offset(target.STORAGE_PREFIX + STATS) is not None:
            s = PerCpuVar(STATS).value(hart)
            lines.append(f"handled: {per_kind(s['handled'])} ssi_traps={int(s['ssi_traps'])} "
                         f"sent={int(s['sent'])} seq_errors={int(s['seq_errors'])} "
                         f"stopped={int(s['stopped'])}")
        return lines
    fifo.write(box, hart, "mailbox",
               f"resched_pending={int(v['resched_pending'])} paused={int(v['paused'])} "
               f"next_seq={int(v['next_seq'])}",
               "messages", details, describe_message)


def register() -> None:
    ipi_command()
