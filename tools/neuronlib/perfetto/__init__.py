"""Perfetto export of the audit trace: convert (Dump -> .pftrace), check
(structural checks), readback (a .pftrace this package wrote -> events).
"""
