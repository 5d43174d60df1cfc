"""User-facing errors: the CLI prints their message as one line and exits non-zero."""


class Lift3DError(Exception):
    """Something the user can fix: bad input, bad option, unwritable output."""

    exit_code = 1


class InputError(Lift3DError):
    """The input file or picture cannot be used."""

    exit_code = 2


class OptionError(Lift3DError):
    """An option value is out of range or inconsistent with another."""

    exit_code = 2

    def __init__(self, message: str, option: str = "") -> None:
        super().__init__(message)
        self.option = option  # the field at fault, so a front end can name it as its user typed it


class OutputError(Lift3DError):
    """The result cannot be written where the user asked."""

    exit_code = 3


class ModelError(Lift3DError):
    """Weights or adapters are missing, corrupt or made for another model."""

    exit_code = 4
