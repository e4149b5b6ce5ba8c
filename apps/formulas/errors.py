"""Exceptions raised by the formula engine.

Errors *inside* a formula's value (``#ERROR!``) are values, not exceptions:
see :class:`apps.formulas.values.ErrorValue`.
"""


class FormulaError(ValueError):
    """A formula that cannot be understood: syntax, unknown function or field."""

    def __init__(self, message, position=None):
        self.message = message
        self.line, self.column = position if position else (None, None)
        text = message if position is None else f"{message} at {self.line}:{self.column}"
        super().__init__(text)


class NotCompilable(Exception):
    """The formula has no exact SQL translation; evaluate it in Python instead."""
