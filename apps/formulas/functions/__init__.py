"""Registry of formula functions.

Each function is a plain Python callable registered with its arity. The
evaluator calls it with already-evaluated arguments and returns any
``#ERROR!`` argument before calling (Airtable spreads errors), unless the
function is registered with ``errors=True``. ``context=True`` functions get the
evaluation context (record, clock, time zone) first. ``lazy=True`` functions get
``(fields, context, argument_closures)`` and evaluate what they need.
"""

from dataclasses import dataclass

from ..errors import FormulaError


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None
    impl: object
    context: bool = False
    lazy: bool = False
    errors: bool = False

    def check_arity(self, count, pos):
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            if self.max_args is None:
                expected = f"at least {self.min_args}"
            elif self.min_args == self.max_args:
                expected = str(self.min_args)
            else:
                expected = f"{self.min_args} to {self.max_args}"
            plural = "" if expected == "1" else "s"
            raise FormulaError(f"{self.name}() takes {expected} argument{plural}, got {count}", pos)


REGISTRY = {}


def function(name, min_args, max_args=None, **flags):
    """Register the decorated callable as formula function ``name``."""
    if max_args is None and "variadic" not in flags:
        max_args = min_args
    flags.pop("variadic", None)

    def register(impl):
        REGISTRY[name] = FunctionSpec(name, min_args, max_args, impl, **flags)
        return impl

    return register


from . import array, date, logical, numeric, text  # noqa: E402,F401  (fills REGISTRY)
