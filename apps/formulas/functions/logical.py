"""Logical functions (support.airtable.com, Formula field reference: Logical functions)."""

from ..values import ERROR, ErrorValue, compare, flatten, is_truthy
from . import function


@function("IF", 2, 3, lazy=True)
def if_(fields, context, args):
    condition = args[0](fields, context)
    if type(condition) is ErrorValue:
        return condition
    if is_truthy(condition):
        return args[1](fields, context)
    return args[2](fields, context) if len(args) > 2 else None


@function("SWITCH", 2, variadic=True, lazy=True)
def switch(fields, context, args):
    subject = args[0](fields, context)
    if type(subject) is ErrorValue:
        return subject
    pairs = args[1:]
    for index in range(0, len(pairs) - 1, 2):
        pattern = pairs[index](fields, context)
        if type(pattern) is ErrorValue:
            return pattern
        if compare("=", subject, pattern) is True:
            return pairs[index + 1](fields, context)
    return pairs[-1](fields, context) if len(pairs) % 2 else None


@function("AND", 1, variadic=True)
def and_(*values):
    return all(is_truthy(value) for value in flatten(values))


@function("OR", 1, variadic=True)
def or_(*values):
    return any(is_truthy(value) for value in flatten(values))


@function("XOR", 1, variadic=True)
def xor(*values):
    return sum(1 for value in flatten(values) if is_truthy(value)) % 2 == 1


@function("NOT", 1)
def not_(value):
    return not is_truthy(value)


@function("BLANK", 0)
def blank():
    return None


@function("ERROR", 0, variadic=True, errors=True)
def error(*_):
    return ERROR


@function("ISERROR", 1, errors=True)
def iserror(value):
    return type(value) is ErrorValue or (
        type(value) is list and any(type(v) is ErrorValue for v in flatten(value))
    )


@function("TRUE", 0)
def true():
    return True


@function("FALSE", 0)
def false():
    return False
