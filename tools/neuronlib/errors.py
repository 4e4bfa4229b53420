"""The one exception type the front door turns into a one-line message."""


class NeuronError(Exception):
    """A failure to report as `neuron: <subcommand>: <message>`.

    `status` is the process exit status to use (1 unless the failure has a
    more specific meaning, such as 124 for a timeout).
    """

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status
