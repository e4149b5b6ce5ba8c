"""The large base: the shape of a real operations base, 34 tables and 539 fields.

88 linked-record relationships (one-to-many, many-to-many, self-links and
chains of three tables such as Order lines → Orders → Companies), with
lookups, rollups (over scalars, over lookups and over formulas), counts, 60
formula fields of every result type and every scalar field type of the
sandbox. Records are spread over the tables by a weight each (Events, the
largest, holds a fifth of them); links are skewed as in real data: some
records link to nothing, a few are linked from hundreds.

The base is built through the sandbox's own services, as a client of the meta
API would build it: the tables with their written fields, the links, the
computed fields in dependency order (each typed by the sandbox from its
formula or target); then every record in one write, the computed values
worked out by the sandbox's recompute along the links and inserted in bulk.
The same ``records`` and ``seed`` always give the same base (its ids aside:
they are random, as Airtable's are).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import transaction

from apps.formulas.fieldtypes import field_type

from .. import field_types as types
from ..models import SandboxBase
from ..state import base_state_load
from .compute import recompute
from .meta import base_create, field_create, table_create
from .records import FieldWriter
from .tokens import token_for_seed
from .work import Work, base_locked

DEFAULT_RECORDS = 50_000
TOTAL_FIELDS = 539
FORMULAS = 60
ANCHOR = date(2026, 1, 1)

# (table, weight, primary field type): records are shared out by weight.
TABLES = [
    ("Regions", 0.3, types.SINGLE_LINE_TEXT), ("Countries", 0.5, types.SINGLE_LINE_TEXT),
    ("Offices", 0.5, types.SINGLE_LINE_TEXT), ("Departments", 0.5, types.SINGLE_LINE_TEXT),
    ("Teams", 0.8, types.SINGLE_LINE_TEXT), ("Employees", 3, types.SINGLE_LINE_TEXT),
    ("Skills", 0.4, types.SINGLE_LINE_TEXT), ("Industries", 0.3, types.SINGLE_LINE_TEXT),
    ("Companies", 3, types.SINGLE_LINE_TEXT), ("Contacts", 5, types.SINGLE_LINE_TEXT),
    ("Deals", 4, types.SINGLE_LINE_TEXT), ("Products", 1.5, types.SINGLE_LINE_TEXT),
    ("Categories", 0.4, types.SINGLE_LINE_TEXT), ("Suppliers", 0.8, types.SINGLE_LINE_TEXT),
    ("Warehouses", 0.3, types.SINGLE_LINE_TEXT), ("Stock items", 3, types.SINGLE_LINE_TEXT),
    ("Orders", 6, types.SINGLE_LINE_TEXT), ("Order lines", 10, types.SINGLE_LINE_TEXT),
    ("Invoices", 5, types.AUTO_NUMBER), ("Payments", 4, types.SINGLE_LINE_TEXT),
    ("Shipments", 4, types.SINGLE_LINE_TEXT), ("Carriers", 0.2, types.SINGLE_LINE_TEXT),
    ("Projects", 1, types.SINGLE_LINE_TEXT), ("Tasks", 5, types.SINGLE_LINE_TEXT),
    ("Time entries", 6, types.DATE), ("Tickets", 5, types.SINGLE_LINE_TEXT),
    ("Campaigns", 0.5, types.SINGLE_LINE_TEXT), ("Leads", 3, types.SINGLE_LINE_TEXT),
    ("Events", 20, types.SINGLE_LINE_TEXT), ("Venues", 0.4, types.SINGLE_LINE_TEXT),
    ("Meetings", 2, types.SINGLE_LINE_TEXT), ("Contracts", 1.5, types.SINGLE_LINE_TEXT),
    ("Assets", 1.5, types.SINGLE_LINE_TEXT), ("Documents", 2, types.SINGLE_LINE_TEXT),
]
BIG_TABLE = "Events"
BIG_SHARE = 0.2

ONE, MANY, SELF = "one", "many", "self"
_ARROWS = {">": ONE, ">>": MANY, "~": SELF}


def _relationships(text: str) -> list[tuple[str, str, str, str]]:
    """(table, link field, linked table, kind) of each ``Table: Link > Linked; ...`` line;
    an indented line goes on with the table above it."""
    found, owner = [], ""
    for line in text.strip("\n").splitlines():
        if not line.startswith("        "):
            owner, line = (part.strip() for part in line.split(":", 1))
        for item in filter(None, (part.strip() for part in line.split(";"))):
            link, arrow, linked = re.fullmatch(r"(.+?) (>>|>|~) (.+)", item).groups()
            found.append((owner, link, linked, _ARROWS[arrow]))
    return found


# "Link > Table" links a record to at most one record of the other table (its other side
# links to many), "Link >> Table" to several, "Link ~ Table" within the same table.
RELATIONSHIPS = _relationships("""
    Countries: Region > Regions
    Offices: Country > Countries
    Departments: Office > Offices
    Teams: Department > Departments
    Employees: Team > Teams; Office > Offices; Manager ~ Employees; Skills >> Skills
    Companies: Industry > Industries; Country > Countries; Parent company ~ Companies;
        Account owner > Employees
    Contacts: Company > Companies; Country > Countries
    Deals: Company > Companies; Contacts >> Contacts; Owner > Employees; Products >> Products
    Products: Category > Categories; Suppliers >> Suppliers
    Categories: Parent category ~ Categories
    Suppliers: Country > Countries; Buyer > Employees
    Warehouses: Office > Offices; Manager > Employees
    Stock items: Product > Products; Warehouse > Warehouses
    Orders: Company > Companies; Contact > Contacts; Deal > Deals; Sales rep > Employees
    Order lines: Order > Orders; Product > Products; Stock item > Stock items;
        Picker > Employees
    Invoices: Order > Orders; Company > Companies; Billing contact > Contacts
    Payments: Invoice > Invoices; Company > Companies
    Shipments: Order > Orders; Carrier > Carriers; Warehouse > Warehouses; Recipient > Contacts
    Projects: Client > Companies; Members >> Employees; Department > Departments;
        Contract > Contracts
    Tasks: Project > Projects; Assignees >> Employees; Blocked by ~ Tasks; Tickets >> Tickets
    Time entries: Task > Tasks; Employee > Employees
    Tickets: Company > Companies; Contact > Contacts; Product > Products; Assignee > Employees;
        Related tickets ~ Tickets
    Campaigns: Audience >> Contacts; Owner > Employees
    Leads: Campaign > Campaigns; Company > Companies; Owner > Employees;
        Converted contact > Contacts
    Events: Contact > Contacts; Company > Companies; Deal > Deals; Employee > Employees;
        Campaign > Campaigns; Product > Products
    Venues: Country > Countries
    Meetings: Venue > Venues; Attendees >> Contacts; Hosts >> Employees; Deal > Deals;
        Project > Projects
    Contracts: Company > Companies; Deal > Deals; Products >> Products
    Assets: Holder > Employees; Office > Offices; Supplier > Suppliers; Category > Categories
    Documents: Contracts >> Contracts; Projects >> Projects; Author > Employees;
        Company > Companies
""")

WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
         "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Massive", "Oscorp", "Nakatomi",
         "Northwind", "Contoso", "Fabrikam", "Tailspin"]
ADJECTIVES = ["quick", "quiet", "urgent", "blue", "green", "late", "early", "major", "minor",
              "annual", "weekly", "remote"]
CHOICES = [["Draft", "Active", "On hold", "Done", "Cancelled"],
           ["Low", "Medium", "High", "Critical"],
           ["North", "South", "East", "West", "Central"],
           ["Bronze", "Silver", "Gold", "Platinum"]]
LABELS = ["Priority", "Internal", "External", "Review", "Blocked", "VIP", "Archived"]
USERS = [{"id": f"usrLargeUser{number:04d}", "email": f"user{number}@example.com",
          "name": name} for number, name in enumerate(
              ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Radia Perlman", "Ken Thompson",
               "Barbara Liskov", "Edsger Dijkstra", "Frances Allen"], start=1)]

# Every scalar type the sandbox has, with the name it takes in a table. The first three
# of each table are its core: a number-like, a single select and a date-like field.
NUMBER_KINDS = [("Quantity", types.NUMBER, {"precision": 0}),
                ("Amount", types.CURRENCY, {"precision": 2, "symbol": "$"}),
                ("Share", types.PERCENT, {"precision": 1}),
                ("Score", types.NUMBER, {"precision": 2}),
                ("Effort", types.DURATION, {"durationFormat": "h:mm"}),
                ("Rating", types.RATING, {"max": 5})]
DATE_KINDS = [("Due date", types.DATE, {"dateFormat": {"name": "iso"}}),
              ("Starts at", types.DATE_TIME, {"dateFormat": {"name": "iso"},
                                              "timeFormat": {"name": "24hour"},
                                              "timeZone": "utc"})]
EXTRA_KINDS = [("Notes", types.MULTILINE_TEXT, None), ("Code", types.SINGLE_LINE_TEXT, None),
               ("Flagged", types.CHECKBOX, None), ("Labels", types.MULTIPLE_SELECTS, None),
               ("Email", types.EMAIL, None), ("Website", types.URL, None),
               ("Phone", types.PHONE, None), ("Summary", types.RICH_TEXT, None),
               ("Files", types.ATTACHMENTS, None), ("Reference", types.BARCODE, None),
               ("Owner user", types.SINGLE_COLLABORATOR, None),
               ("Watchers", types.MULTIPLE_COLLABORATORS, None),
               ("Record number", types.AUTO_NUMBER, None),
               ("Created", types.CREATED_TIME, None), ("Modified", types.LAST_MODIFIED_TIME, None),
               ("Weight", types.NUMBER, {"precision": 1}),
               ("Opened on", types.DATE, {"dateFormat": {"name": "iso"}}),
               ("Level", types.SINGLE_SELECT, None), ("Cost", types.CURRENCY,
                                                       {"precision": 2, "symbol": "€"}),
               ("Done", types.CHECKBOX, None)]


@dataclass
class _Table:
    name: str
    index: int
    primary: dict
    scalars: list[dict] = field(default_factory=list)
    number: str = ""
    select: str = ""
    moment: str = ""
    formula_number: str = ""


@dataclass
class _Shape:
    tables: list[_Table]
    computed: list[tuple[str, dict]]  # (table, field spec), in creation order


def _select_options(choices: list[str]) -> dict:
    return {"choices": [{"name": choice} for choice in choices]}


def _field(name: str, kind: str, options: dict | None) -> dict:
    spec = {"name": name, "type": kind}
    if options is not None:
        spec["options"] = options
    return spec


def _link_name(table: str, wanted: str, taken: set[str]) -> str:
    name, number = wanted, 2
    while name.casefold() in taken:
        name, number = f"{wanted} {number}", number + 1
    taken.add(name.casefold())
    return name


class _Planner:
    """Decides every field of the base (names, types, options by name) before any is made."""

    def __init__(self):
        self.tables = [self._table(index, name, primary)
                       for index, (name, _weight, primary) in enumerate(TABLES)]
        self.by_name = {table.name: table for table in self.tables}
        self.names = {table.name: {table.primary["name"].casefold()} for table in self.tables}
        self.types: dict[tuple[str, str], str] = {}
        for table in self.tables:
            for spec in [table.primary, *table.scalars]:
                self.names[table.name].add(spec["name"].casefold())
                self.types[(table.name, spec["name"])] = spec["type"]
        # The other side of each link, named after the linking table (as the sandbox does).
        self.links: list[tuple[str, str, str, str, str | None]] = []
        for owner, link, linked, kind in RELATIONSHIPS:
            self.names[owner].add(link.casefold())
            self.types[(owner, link)] = types.LINK
            inverse = None
            if kind != SELF:
                inverse = _link_name(linked, owner, self.names[linked])
                self.types[(linked, inverse)] = types.LINK
            self.links.append((owner, link, linked, kind, inverse))
        self.computed: list[tuple[str, dict]] = []

    @staticmethod
    def _table(index: int, name: str, primary: str) -> _Table:
        primary_name = {types.AUTO_NUMBER: "Number", types.DATE: "Day"}.get(primary, "Name")
        options = {types.DATE: {"dateFormat": {"name": "iso"}}}.get(primary)
        table = _Table(name=name, index=index, primary=_field(primary_name, primary, options))
        number = NUMBER_KINDS[index % len(NUMBER_KINDS)]
        moment = DATE_KINDS[index % len(DATE_KINDS)]
        choices = CHOICES[index % len(CHOICES)]
        table.scalars = [_field(*number), _field("Status", types.SINGLE_SELECT,
                                                  _select_options(choices)),
                         _field(*moment)]
        table.number, table.select, table.moment = number[0], "Status", moment[0]
        return table

    def add(self, table: str, name: str, kind: str, options: dict) -> str:
        name = _link_name(table, name, self.names[table])
        self.computed.append((table, {"name": name, "type": kind, "options": options}))
        self.types[(table, name)] = kind
        return name

    # Options name fields; they become ids when the base is built.
    def lookup(self, table: str, link: str, target: str, name: str | None = None) -> str:
        return self.add(table, name or f"{link} {target.lower()}", types.LOOKUP,
                        {"recordLinkFieldId": link, "fieldIdInLinkedTable": target})

    def rollup(self, table: str, link: str, target: str, formula: str, name: str) -> str:
        return self.add(table, name, types.ROLLUP, {
            "recordLinkFieldId": link, "fieldIdInLinkedTable": target, "formula": formula})

    def count(self, table: str, link: str) -> str:
        return self.add(table, f"{link} count", types.COUNT, {"recordLinkFieldId": link})

    def formula(self, table: str, name: str, formula: str) -> str:
        return self.add(table, name, types.FORMULA, {"formula": formula})


def _own_formula(planner: _Planner, table: _Table) -> None:
    """One formula over the table's own fields; its result type rotates over the tables."""
    number, select, moment = f"{{{table.number}}}", f"{{{table.select}}}", f"{{{table.moment}}}"
    primary = f"{{{table.primary['name']}}}"
    choice = CHOICES[table.index % len(CHOICES)][0]
    variants = [
        ("Adjusted", f"ROUND({number} * 1.2 + 1, 2)"),
        ("Label", f"UPPER(LEFT({primary} & '', 3)) & '-' & {select}"),
        ("Follow up", f"DATEADD({moment}, 7, 'days')"),
        ("Is open", f"IF(AND({select} != '{choice}', {number} > 1), 1, 0)"),
        ("Ratio", f"ROUND(100 / {number}, 2)"),
        ("Age days", f"DATETIME_DIFF('2026-06-30', {moment}, 'days')"),
        ("Quarter", f"IF({moment}, 'Q' & (INT((MONTH({moment}) - 1) / 3) + 1), '')"),
    ]
    name, formula = variants[table.index % len(variants)]
    made = planner.formula(table.name, name, formula)
    if name in ("Adjusted", "Ratio", "Is open"):
        table.formula_number = made


def _plan() -> _Shape:
    planner = _Planner()
    tables = planner.tables
    by_name = planner.by_name
    for table in tables:
        _own_formula(planner, table)

    # Lookups, counts and rollups over each link, rotating so that every kind is present.
    first_lookups: dict[str, list[str]] = {}  # table -> lookups of its links' primary fields
    for position, (owner, link, linked, kind, inverse) in enumerate(planner.links):
        parent, child = by_name[linked], by_name[owner]
        if kind == SELF:
            planner.lookup(owner, link, parent.primary["name"])
            continue
        turn = position % 6
        if kind == MANY:
            planner.rollup(owner, link, parent.number, "COUNTA(values)",
                           f"{link} with {parent.number.lower()}")
            continue
        if turn in (0, 5):
            made = planner.lookup(owner, link, parent.primary["name"])
            first_lookups.setdefault(owner, []).append(made)
            if turn == 5 and child.formula_number:
                planner.rollup(linked, inverse, child.formula_number, "SUM(values)",
                               f"Sum of {child.formula_number.lower()} of {inverse.lower()}")
        elif turn == 1:
            planner.lookup(owner, link, parent.select)
        elif turn == 2:
            planner.rollup(linked, inverse, child.number, "SUM(values)",
                           f"Total {child.number.lower()} of {inverse.lower()}")
        elif turn == 3:
            planner.count(linked, inverse)
        else:
            planner.rollup(linked, inverse, child.moment, "MAX(values)",
                           f"Latest {child.moment.lower()} of {inverse.lower()}")

    # Chains of three tables: a lookup of a lookup, a rollup over a lookup, and formulas
    # that walk the links (through the lookups) or read a link or a rollup.
    second = []
    for owner, link, linked, kind, inverse in planner.links:
        if kind != ONE or not first_lookups.get(linked) or len(second) >= 8:
            continue
        lookup_name = first_lookups[linked][0]
        second.append((owner, planner.lookup(owner, link, lookup_name,
                                             name=f"{link} {lookup_name.lower()}")))
        planner.rollup(linked, inverse, by_name[owner].primary["name"]
                       if by_name[owner].primary["type"] != types.DATE else
                       by_name[owner].moment, "ARRAYJOIN(values, '; ')", f"{inverse} list")
    rollups_over_lookups = 0
    for owner, _link, linked, kind, inverse in planner.links:
        if kind != ONE or rollups_over_lookups >= 6:
            continue
        lookups = first_lookups.get(owner, [])
        if lookups:
            planner.rollup(linked, inverse, lookups[0], "ARRAYJOIN(ARRAYUNIQUE(values), ', ')",
                           f"{inverse} {lookups[0].lower()} (unique)")
            rollups_over_lookups += 1

    for walk, (owner, lookup_name) in enumerate(second):
        ref = f"{{{lookup_name}}}"
        formula = [f"IF({ref}, ARRAYJOIN({ref}, ' / '), '(none)')", f"LEN(ARRAYJOIN({ref}))",
                   f"FIND('a', LOWER(ARRAYJOIN({ref}))) > 0", f"ARRAYUNIQUE({ref})"][walk % 4]
        planner.formula(owner, f"Via {lookup_name.lower()}", formula)
    links_read = 0
    for owner, link, _linked, kind, _inverse in planner.links:
        if links_read >= 7 or kind == SELF:
            continue
        planner.formula(owner, f"{link} text", f"{{{link}}} & ''")
        links_read += 1
    rollup_formulas = [(table, spec["name"]) for table, spec in planner.computed
                       if spec["type"] == types.ROLLUP and spec["options"]["formula"] ==
                       "SUM(values)"]
    for table, name in rollup_formulas[:max(0, FORMULAS - _formula_count(planner))]:
        planner.formula(table, f"{name} doubled", f"{{{name}}} * 2")
    return _Shape(tables=tables, computed=_balanced(planner))


def _formula_count(planner: _Planner) -> int:
    return sum(spec["type"] == types.FORMULA for _table, spec in planner.computed)


def _balanced(planner: _Planner) -> list[tuple[str, dict]]:
    """Scalar fields added round-robin until the base has exactly TOTAL_FIELDS fields."""
    link_fields = sum(1 if kind == SELF else 2 for *_rest, kind, _inverse in planner.links)
    fixed = sum(1 + len(table.scalars) for table in planner.tables)
    missing = TOTAL_FIELDS - fixed - link_fields - len(planner.computed)
    if missing < len(EXTRA_KINDS):
        raise ValueError("the large shape has too many fields to add every scalar type")
    turn = 0
    while missing:
        table = planner.tables[turn % len(planner.tables)]
        extra = EXTRA_KINDS[turn % len(EXTRA_KINDS)]
        turn += 1
        name = extra[0]
        if name.casefold() in planner.names[table.name]:
            continue
        if extra[1] in (types.SINGLE_SELECT, types.MULTIPLE_SELECTS):
            options = _select_options(LABELS if extra[1] == types.MULTIPLE_SELECTS
                                      else CHOICES[(table.index + 1) % len(CHOICES)])
        else:
            options = extra[2]
        planner.names[table.name].add(name.casefold())
        table.scalars.append(_field(name, extra[1], options))
        missing -= 1
    return planner.computed


SHAPE = _plan()
TABLE_NAMES = [table.name for table in SHAPE.tables]


# --- records ------------------------------------------------------------------------------


def record_counts(records: int) -> dict[str, int]:
    """Records of each table: Events a fifth, the others by weight, at least 3 each when
    there are enough records."""
    floor = min(3, records // len(TABLES))
    rest = records - round(records * BIG_SHARE)
    weights = {name: weight for name, weight, _primary in TABLES if name != BIG_TABLE}
    total = sum(weights.values())
    counts = {name: max(floor, int(rest * weight / total)) for name, weight in weights.items()}
    counts[BIG_TABLE] = records - sum(counts.values())
    if counts[BIG_TABLE] < floor:
        # Too few records for the weights: the same number in every table.
        counts = {name: records // len(TABLES) for name, _weight, _primary in TABLES}
        counts[BIG_TABLE] += records - sum(counts.values())
    return counts


def _skewed(rng: random.Random, size: int) -> int:
    """An index below ``size``, small ones far more often: a few records get most links."""
    return min(size - 1, int(size * rng.random() ** 2.5))


class _Values:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def value(self, spec: dict, table: str, index: int):
        rng, kind = self.rng, spec["type"]
        if field_type(kind).derived:
            return None
        if kind != types.CHECKBOX and rng.random() < 0.1:
            return None
        word = rng.choice(WORDS)
        if kind == types.SINGLE_LINE_TEXT:
            return f"{word} {rng.choice(ADJECTIVES)} {index + 1}"
        if kind == types.MULTILINE_TEXT:
            return f"{word} {rng.choice(ADJECTIVES)} note.\nFollow up in {rng.randint(1, 9)} days."
        if kind == types.RICH_TEXT:
            return f"**{word}** {rng.choice(ADJECTIVES)} summary\n"
        if kind == types.EMAIL:
            return f"{word.lower()}.{index + 1}@example.com"
        if kind == types.URL:
            return f"https://{word.lower()}.example/{table.lower().replace(' ', '-')}/{index + 1}"
        if kind == types.PHONE:
            return f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        if kind == types.NUMBER:
            precision = spec["options"]["precision"]
            return rng.randint(0, 1000) if precision == 0 else round(rng.uniform(-50, 5000),
                                                                     precision)
        if kind == types.CURRENCY:
            return round(rng.uniform(0, 100_000), 2)
        if kind == types.PERCENT:
            return round(rng.random(), 3)
        if kind == types.DURATION:
            return rng.randint(0, 40) * 900
        if kind == types.RATING:
            return rng.randint(1, spec["options"]["max"])
        if kind == types.CHECKBOX:
            return rng.random() < 0.4
        if kind == types.SINGLE_SELECT:
            return rng.choice(spec["options"]["choices"])["name"]
        if kind == types.MULTIPLE_SELECTS:
            return [choice["name"] for choice in
                    rng.sample(spec["options"]["choices"], rng.randint(1, 3))]
        if kind == types.DATE:
            return (ANCHOR + timedelta(days=rng.randint(-700, 400))).isoformat()
        if kind == types.DATE_TIME:
            moment = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC) + timedelta(
                minutes=rng.randint(-60 * 24 * 500, 60 * 24 * 200))
            return moment.isoformat().replace("+00:00", "Z")
        if kind == types.ATTACHMENTS:
            return [{"url": f"https://files.example/{word.lower()}/{index + 1}-{number}.pdf",
                     "filename": f"{word.lower()}-{index + 1}-{number}.pdf"}
                    for number in range(rng.randint(1, 2))]
        if kind == types.BARCODE:
            return {"text": f"{rng.randint(10 ** 11, 10 ** 12 - 1)}", "type": "upce"}
        if kind == types.SINGLE_COLLABORATOR:
            return dict(rng.choice(USERS))
        if kind == types.MULTIPLE_COLLABORATORS:
            return [dict(user) for user in rng.sample(USERS, rng.randint(1, 3))]
        raise ValueError(f"no values for {kind}")

    def primary(self, spec: dict, table: str, index: int):
        if spec["type"] == types.SINGLE_LINE_TEXT:
            return f"{self.rng.choice(WORDS)} {table.lower()} {index + 1}"
        return self.value(spec, table, index)

    def links(self, kind: str, size: int, index: int) -> list[int]:
        rng = self.rng
        if kind == SELF:
            if index == 0 or rng.random() < 0.4:
                return []
            return [_skewed(rng, index)]
        if size == 0 or rng.random() < 0.1:
            return []
        if kind == ONE:
            return [_skewed(rng, size)]
        wanted = min(size, rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 6, 9]))
        chosen: list[int] = []
        while len(chosen) < wanted:
            item = _skewed(rng, size)
            if item not in chosen:
                chosen.append(item)
        return chosen


def _fill(token, base_id: str, counts: dict[str, int], rng: random.Random) -> None:
    values = _Values(rng)
    with base_locked(token=token, base_id=base_id) as state:
        work = Work(state)
        made: dict[str, list] = {}
        writers = {}
        for planned in SHAPE.tables:
            table = state.table(planned.name)
            writers[planned.name] = writer = FieldWriter(work, table, typecast=False)
            made[planned.name] = []
            for index in range(counts[planned.name]):
                fields = {planned.primary["name"]: values.primary(planned.primary, planned.name,
                                                                  index)}
                for spec in planned.scalars:
                    fields[spec["name"]] = values.value(spec, planned.name, index)
                fields = {name: value for name, value in fields.items() if value is not None}
                record = work.create(table, {})
                work.set_fields(record, writer.stored({}, fields, replace=False))
                made[planned.name].append(record)
        for owner, link, linked, kind in RELATIONSHIPS:
            targets = made[linked]
            writer = writers[owner]
            for index, record in enumerate(made[owner]):
                chosen = values.links(kind, len(targets), index)
                if chosen:
                    work.set_fields(record, writer.stored(
                        record.fields, {link: [targets[item].id for item in chosen]},
                        replace=False))
        recompute(work, work.seeds())
        work.save()


# --- schema ---------------------------------------------------------------------------------


def _table_spec(planned: _Table) -> dict:
    return {"name": planned.name, "fields": [planned.primary, *planned.scalars]}


def _computed_spec(state, table_name: str, spec: dict) -> dict:
    """The spec with field names in its options turned into ids."""
    table = state.table(table_name)
    options = dict(spec["options"])
    if "recordLinkFieldId" in options:
        link = table.field(options["recordLinkFieldId"])
        options["recordLinkFieldId"] = link["id"]
        if "fieldIdInLinkedTable" in options:
            linked = state.tables[link["options"]["linkedTableId"]]
            options["fieldIdInLinkedTable"] = linked.field(options["fieldIdInLinkedTable"])["id"]
    return {**spec, "options": options}


def _schema(token, base: SandboxBase) -> None:
    for planned in SHAPE.tables[1:]:
        table_create(token=token, base_id=base.id, spec=_table_spec(planned))
    state = base_state_load(base)
    for owner, link, linked, kind in RELATIONSHIPS:
        options = {"linkedTableId": state.table(linked).id}
        if kind == ONE:
            options["prefersSingleRecordLink"] = True
        field_create(token=token, base_id=base.id, table_key=state.table(owner).id,
                     spec={"name": link, "type": types.LINK, "options": options})


def _computed(token, base: SandboxBase) -> None:
    for table_name, spec in SHAPE.computed:
        state = base_state_load(base)
        field_create(token=token, base_id=base.id, table_key=state.table(table_name).id,
                     spec=_computed_spec(state, table_name, spec))


def large_base_name(records: int, seed: int) -> str:
    return f"Large base ({records} records, seed {seed})"


def sandbox_seed_large(*, records: int = DEFAULT_RECORDS, seed: int = 0,
                       token: str | None = None) -> tuple[str, str]:
    """The large base with ``records`` records: (base id, token).

    Without ``token`` a new token is made. With one, it is created if unknown, and a
    large base of the same records and seed that it already has is returned as it is.
    """
    if type(records) is not int or records < 0:
        raise ValueError("records must be a whole number, 0 or more")
    if type(seed) is not int:
        raise ValueError("seed must be a whole number")
    name = large_base_name(records, seed)
    owner, token, existing = token_for_seed(raw=token, name="large base", base_name=name)
    if existing is not None:
        return existing.id, token
    with transaction.atomic():
        base = base_create(token=owner, name=name, tables=[_table_spec(SHAPE.tables[0])]).base
        _schema(owner, base)
        _computed(owner, base)
        if records:
            _fill(owner, base.id, record_counts(records),
                  random.Random(f"large:{records}:{seed}"))
    return base.id, token
