"""The errors farm raises on purpose. Each becomes one line on stderr at the CLI edge."""


class FarmError(Exception):
    """A failure the user can act on; its message is the whole story."""

    exit_code = 2


class NotAGitRepo(FarmError):
    pass


class NotAFarm(FarmError):
    pass


class InvalidInput(FarmError):
    pass


class InvalidCorrection(FarmError):
    """A correction or event file that cannot be read; the message names file and field."""


class UnknownCorrection(FarmError):
    pass


class GitStateError(FarmError):
    pass


class UnreadableFile(FarmError):
    """A file farm cannot read safely (not a regular file, too big, a symlink loop, not UTF-8);
    the message names the file. Callers that read many files turn it into a warning."""
