"""Parsing: syntax tree, precedence, positions and the messages a user sees."""

import pytest

from apps.formulas import FormulaError, ast, evaluate, parse


def test_tree_carries_source_positions():
    formula = parse("IF({Qty} > 2,\n  'bulk', 'single')")
    root = formula.root
    assert isinstance(root, ast.Call) and root.name == "IF" and root.pos == (1, 1)
    assert root.args[0] == ast.Binary(">", ast.FieldRef("Qty"), ast.Number(2.0))
    assert root.args[0].pos == (1, 10)
    assert root.args[1].pos == (2, 3)
    assert formula.field_names == {"Qty"}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 * 3 & 4", "64"),
        ("1 + 1 = 2", True),
        ("10 / 2 * 5", 25),
        ("10 - 4 - 3", 3),
        ("-2 * -2", 4),
        ('1 & 2 = "12"', True),
        ("3 > 2 = TRUE()", True),
        ("-{Qty} + 10", 7),
    ],
)
def test_precedence_follows_airtable(formula, expected):
    assert evaluate(formula, {"Qty": 3}) == expected


def test_strings_in_either_quote_with_escapes():
    assert evaluate(r'"say \"hi\""') == 'say "hi"'
    assert evaluate(r"'it\'s'") == "it's"
    assert evaluate(r'"tab\there"') == "tab\there"
    assert evaluate(r'"a\\b"') == "a\\b"


def test_function_names_are_case_insensitive():
    assert evaluate("upper('a') & Lower('B')") == "Ab"


def test_bare_field_names():
    assert parse("Price * Quantity").field_names == {"Price", "Quantity"}


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("FOO(1)", "Unknown function FOO at 1:1"),
        ("1 + FOO(1)", "Unknown function FOO at 1:5"),
        ("CONCATENTE('a')", "Unknown function CONCATENTE; did you mean CONCATENATE()? at 1:1"),
        ("IF(1)", "IF() takes 2 to 3 arguments, got 1 at 1:1"),
        ("LEN()", "LEN() takes 1 argument, got 0 at 1:1"),
        ("NOW(1)", "NOW() takes 0 arguments, got 1 at 1:1"),
        ("1 +", "Unexpected end of formula at 1:4"),
        ("(1 + 2", "Missing closing parenthesis, found end of formula at 1:7"),
        ("'open", "Unterminated string at 1:1"),
        ("{Open", "Missing closing } for field name at 1:1"),
        ("1 # 2", "Unexpected character '#' at 1:3"),
        ("1 // note", "Comments are not allowed in formulas at 1:3"),
        ("/* note */ 1", "Comments are not allowed in formulas at 1:1"),
        ("1 2", "Unexpected '2.0' at 1:3"),
        ("", "The formula is empty at 1:1"),
        ("{}", "Empty field name {} at 1:1"),
        ("IF(1,\n  2,\n  FOO())", "Unknown function FOO at 3:3"),
    ],
)
def test_invalid_formulas_say_what_and_where(formula, message):
    with pytest.raises(FormulaError) as caught:
        parse(formula)
    assert str(caught.value) == message


def test_unknown_fields_are_checked_against_known_names():
    with pytest.raises(FormulaError) as caught:
        parse("{Status} = 'Done' & {Stauts}", fields=["Status", "Name"])
    assert str(caught.value) == "Unknown field {Stauts}; did you mean {Status}? at 1:21"
    assert (caught.value.line, caught.value.column) == (1, 21)


def test_unknown_field_without_a_close_match():
    with pytest.raises(FormulaError, match=r"^Unknown field \{Zzz\} at 1:1$"):
        parse("{Zzz}", fields=["Status"])


def test_evaluate_checks_known_fields_when_given():
    with pytest.raises(FormulaError, match="did you mean"):
        evaluate("{Qyt} > 1", {"Qty": 2}, known_fields=["Qty"])


def test_parse_accepts_a_parsed_formula():
    formula = parse("1 + 1")
    assert parse(formula) == formula
