"""Formula syntax tree. Every node carries ``pos``: (line, column), 1-based."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class String:
    value: str
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: object
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: object
    right: object
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple
    pos: tuple = field(default=(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula: the root expression plus the fields it references."""

    source: str
    root: object
    field_names: frozenset


def walk(node):
    """Yield ``node`` and all its descendants, depth first."""
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
