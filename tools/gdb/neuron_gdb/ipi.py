"""IPI mailboxes: `neuron ipi [HART]`.

Each hart's mailbox is the per-CPU variable `ipi_mailboxes` (a bounded
ring of messages under its lock); its counters are `ipi_stats`.
"""

from __future__ import annotations

import gdb

from . import fifo, target
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
    text = f"{kind_name(kind)} seq={int(message['seq'])} from hart {int(message['from'])}"
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


class IpiCommand(gdb.Command):
    """Show IPI mailbox contents and counters, oldest message first.

Usage: neuron ipi [HART]"""

    def __init__(self):
        super().__init__("neuron ipi", gdb.COMMAND_DATA)

    @target.command_errors("neuron ipi")
    def invoke(self, argument: str, from_tty: bool) -> None:
        for hart in target.harts_of_command(argument, "neuron ipi", "mailboxes are"):
            box = mailbox(hart, "neuron ipi")
            v = box.value
            posted = v["posted"]
            low, high = posted.type.range()
            posted_text = " ".join(f"{kind_name(k)}={int(posted[k])}" for k in range(low, high + 1))
            gdb.write(f"hart {hart.hart}: mailbox count={box.count} head={box.head} "
                      f"capacity={box.capacity} resched_pending={int(v['resched_pending'])} "
                      f"paused={int(v['paused'])} next_seq={int(v['next_seq'])}"
                      + ("" if hart.in_kernel else f"  [hart {hart.describe_state()}]") + "\n")
            broken = box.problem()
            if broken:
                gdb.write(f"  IMPOSSIBLE: {broken}; showing at most {box.capacity} messages\n")
            gdb.write(f"  posted: {posted_text} coalesced={int(v['coalesced'])} "
                      f"rejected_full={int(v['rejected_full'])}\n")
            if target.tls_offset(target.STORAGE_PREFIX + STATS) is not None:
                s = PerCpuVar(STATS).value(hart)
                handled = s["handled"]
                low, high = handled.type.range()
                handled_text = " ".join(f"{kind_name(k)}={int(handled[k])}" for k in range(low, high + 1))
                gdb.write(f"  handled: {handled_text} ssi_traps={int(s['ssi_traps'])} "
                          f"sent={int(s['sent'])} seq_errors={int(s['seq_errors'])} "
                          f"stopped={int(s['stopped'])}\n")
            queued = box.queued()
            if not queued:
                gdb.write("  empty\n")
            for position, message in enumerate(queued):
                gdb.write(f"  [{position}] {describe_message(message)}\n")


def register() -> None:
    IpiCommand()
