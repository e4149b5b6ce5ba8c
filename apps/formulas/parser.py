"""Recursive-descent parser producing :mod:`apps.formulas.ast` nodes.

Operator precedence, loosest first (the spreadsheet order Airtable follows)::

    =  !=  <  >  <=  >=      comparison, left-associative
    &                        text concatenation
    +  -                     addition
    *  /                     multiplication
    -                        unary minus
"""

import difflib

from . import ast
from .errors import FormulaError
from .functions import REGISTRY
from .lexer import tokenize

BINARY_PRECEDENCE = {
    "=": 1,
    "!=": 1,
    "<": 1,
    ">": 1,
    "<=": 1,
    ">=": 1,
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
}
UNARY_PRECEDENCE = 5


def parse(formula, fields=None):
    """Parse ``formula``; when ``fields`` (known field names) is given, check references."""
    if isinstance(formula, ast.Formula):
        root = formula.root
        formula = formula.source
    else:
        if not isinstance(formula, str):
            raise FormulaError("A formula must be text")
        root = _Parser(formula).parse()
    names = frozenset(node.name for node in ast.walk(root) if isinstance(node, ast.FieldRef))
    if fields is not None:
        check_fields(root, fields)
    return ast.Formula(formula, root, names)


def check_fields(root, fields):
    known = set(fields)
    for node in ast.walk(root):
        if isinstance(node, ast.FieldRef) and node.name not in known:
            raise FormulaError(_unknown_field_message(node.name, known), node.pos)


def _unknown_field_message(name, known):
    lowered = {k.lower(): k for k in known}
    guess = lowered.get(name.lower())
    if guess is None:
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        guess = close[0] if close else None
    message = f"Unknown field {{{name}}}"
    return f"{message}; did you mean {{{guess}}}?" if guess else message


class _Parser:
    def __init__(self, source):
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0

    def parse(self):
        if self.peek().kind == "end":
            raise FormulaError("The formula is empty", self.peek().pos)
        node = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            raise FormulaError(f"Unexpected {_describe(token)}", token.pos)
        return node

    def peek(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self, min_precedence):
        left = self.unary()
        while True:
            token = self.peek()
            precedence = BINARY_PRECEDENCE.get(token.value) if token.kind == "op" else None
            if precedence is None or precedence <= min_precedence:
                return left
            self.advance()
            right = self.expression(precedence)
            left = ast.Binary(token.value, left, right, token.pos)

    def unary(self):
        token = self.peek()
        if token.kind == "op" and token.value == "-":
            self.advance()
            operand = self.expression(UNARY_PRECEDENCE - 1)
            if isinstance(operand, ast.Number):
                return ast.Number(-operand.value, token.pos)
            return ast.Unary("-", operand, token.pos)
        return self.primary()

    def primary(self):
        token = self.advance()
        if token.kind == "number":
            return ast.Number(token.value, token.pos)
        if token.kind == "string":
            return ast.String(token.value, token.pos)
        if token.kind == "field":
            return ast.FieldRef(token.value, token.pos)
        if token.kind == "(":
            node = self.expression(0)
            self.expect(")", "Missing closing parenthesis")
            return node
        if token.kind == "ident":
            if self.peek().kind == "(":
                return self.call(token)
            if token.value.upper() in ("TRUE", "FALSE"):
                return ast.Boolean(token.value.upper() == "TRUE", token.pos)
            return ast.FieldRef(token.value, token.pos)
        if token.kind == "end":
            raise FormulaError("Unexpected end of formula", token.pos)
        raise FormulaError(f"Unexpected {_describe(token)}", token.pos)

    def call(self, name_token):
        name = name_token.value.upper()
        spec = REGISTRY.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, REGISTRY, n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]}()?" if close else ""
            raise FormulaError(f"Unknown function {name_token.value}{hint}", name_token.pos)
        self.advance()
        args = []
        if self.peek().kind != ")":
            while True:
                args.append(self.expression(0))
                if self.peek().kind != ",":
                    break
                self.advance()
        self.expect(")", f"Missing closing parenthesis for {name}()")
        if name in ("TRUE", "FALSE") and not args:
            return ast.Boolean(name == "TRUE", name_token.pos)
        spec.check_arity(len(args), name_token.pos)
        return ast.Call(name, tuple(args), name_token.pos)

    def expect(self, kind, message):
        token = self.peek()
        if token.kind != kind:
            raise FormulaError(f"{message}, found {_describe(token)}", token.pos)
        return self.advance()


def _describe(token):
    if token.kind == "end":
        return "end of formula"
    if token.kind == "string":
        return f"text {token.value!r}"
    if token.kind == "field":
        return f"field {{{token.value}}}"
    return repr(str(token.value))
