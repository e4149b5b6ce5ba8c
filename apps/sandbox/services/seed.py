"""The demo base: a small CRM with every kind of field the platform has to handle.

Companies ← Contacts, Companies ← Deals ← Activities → Contacts, with lookups,
rollups, counts, formulas, selects, dates, checkboxes and attachments given as
URLs. The same ``records`` always gives the same data.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from django.db import transaction

from ..models import SandboxBase
from ..state import base_state_load
from .compute import recompute
from .meta import base_create, field_create, table_create
from .records import FieldWriter
from .tokens import token_for_seed
from .work import Work, base_locked

DEMO_BASE_NAME = "Demo CRM"
# Share of the records that goes to each table.
SHARES = (("Companies", 0.1), ("Contacts", 0.3), ("Deals", 0.25), ("Activities", 0.35))

INDUSTRIES = ["Software", "Finance", "Healthcare", "Retail", "Manufacturing", "Education"]
TAGS = ["Enterprise", "SMB", "Partner", "Strategic", "Churn risk"]
ROLES = ["Decision maker", "Champion", "Influencer", "User"]
STAGES = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
ACTIVITY_TYPES = ["Call", "Email", "Meeting", "Demo", "Note"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
         "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Massive", "Oscorp", "Nakatomi"]
SUFFIXES = ["Labs", "Systems", "Group", "Industries", "Partners", "Health", "Bank", "Retail"]
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Radia",
         "Tim", "Frances", "Edsger", "Hedy", "John", "Katherine", "Guido", "Sophie", "Yukihiro"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov",
        "Ritchie", "Perlman", "Berners-Lee", "Allen", "Dijkstra", "Lamarr", "McCarthy",
        "Johnson", "van Rossum", "Wilson", "Matsumoto"]
TITLES = ["CEO", "CTO", "VP Sales", "Head of Data", "Engineer", "Analyst", "Buyer", "COO"]


def _text(name: str) -> dict:
    return {"name": name, "type": "singleLineText"}


def _select(name: str, choices: list[str], multiple: bool = False) -> dict:
    return {"name": name, "type": "multipleSelects" if multiple else "singleSelect",
            "options": {"choices": [{"name": choice} for choice in choices]}}


COMPANIES = {"name": "Companies", "fields": [
    _text("Name"), _select("Industry", INDUSTRIES),
    {"name": "Website", "type": "url"},
    {"name": "Employees", "type": "number", "options": {"precision": 0}},
    {"name": "Founded", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    {"name": "Logo", "type": "multipleAttachments"},
    {"name": "Active", "type": "checkbox"},
    _select("Tags", TAGS, multiple=True),
    {"name": "Company ID", "type": "autoNumber"},
    {"name": "Created", "type": "createdTime"},
]}


def _schema(token, base: SandboxBase) -> dict[str, str]:
    """Add the other tables and the computed fields; {table name: table id}."""
    base_id = base.id
    companies = base_state_load(base).table("Companies")
    contacts = table_create(token=token, base_id=base_id, spec={"name": "Contacts", "fields": [
        _text("Full name"), {"name": "Email", "type": "email"},
        {"name": "Phone", "type": "phoneNumber"},
        {"name": "Company", "type": "multipleRecordLinks",
         "options": {"linkedTableId": companies.id}},
        _text("Title"), _select("Role", ROLES),
        {"name": "Subscribed", "type": "checkbox"},
        {"name": "Last contacted", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    ]})
    deals = table_create(token=token, base_id=base_id, spec={"name": "Deals", "fields": [
        _text("Deal"),
        {"name": "Company", "type": "multipleRecordLinks",
         "options": {"linkedTableId": companies.id}},
        {"name": "Primary contact", "type": "multipleRecordLinks",
         "options": {"linkedTableId": contacts.id, "prefersSingleRecordLink": True}},
        _select("Stage", STAGES),
        {"name": "Amount", "type": "currency", "options": {"precision": 2, "symbol": "$"}},
        {"name": "Probability", "type": "percent", "options": {"precision": 0}},
        {"name": "Close date", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    ]})
    activities = table_create(token=token, base_id=base_id, spec={
        "name": "Activities", "fields": [
            _text("Subject"), _select("Type", ACTIVITY_TYPES),
            {"name": "Deal", "type": "multipleRecordLinks",
             "options": {"linkedTableId": deals.id}},
            {"name": "Contact", "type": "multipleRecordLinks",
             "options": {"linkedTableId": contacts.id}},
            {"name": "When", "type": "dateTime", "options": {
                "dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"},
                "timeZone": "utc"}},
            {"name": "Done", "type": "checkbox"},
            {"name": "Notes", "type": "multilineText"},
            {"name": "Duration", "type": "duration", "options": {"durationFormat": "h:mm"}},
            {"name": "Modified", "type": "lastModifiedTime"},
        ]})

    # Reloaded: making the links added their other sides to the tables.
    state = base_state_load(base)
    companies, contacts, deals, activities = (
        state.table(name) for name in ("Companies", "Contacts", "Deals", "Activities"))

    def field_id(table, name: str) -> str:
        return table.field(name)["id"]

    def add(table, spec: dict) -> None:
        field_create(token=token, base_id=base_id, table_key=table.id, spec=spec)

    add(contacts, {"name": "Company industry", "type": "multipleLookupValues", "options": {
        "recordLinkFieldId": field_id(contacts, "Company"),
        "fieldIdInLinkedTable": field_id(companies, "Industry")}})
    add(contacts, {"name": "Display name", "type": "formula", "options": {
        "formula": "{Full name} & IF({Title}, ' (' & {Title} & ')', '')"}})
    add(deals, {"name": "Weighted amount", "type": "formula", "options": {
        "formula": "ROUND({Amount} * {Probability}, 2)"}})
    add(deals, {"name": "Is open", "type": "formula", "options": {
        "formula": "IF(OR({Stage} = 'Won', {Stage} = 'Lost'), 0, 1)"}})
    add(deals, {"name": "Company name", "type": "multipleLookupValues", "options": {
        "recordLinkFieldId": field_id(deals, "Company"),
        "fieldIdInLinkedTable": field_id(companies, "Name")}})
    add(deals, {"name": "Activity count", "type": "count", "options": {
        "recordLinkFieldId": field_id(deals, "Activities")}})
    add(deals, {"name": "Last activity", "type": "rollup", "options": {
        "recordLinkFieldId": field_id(deals, "Activities"),
        "fieldIdInLinkedTable": field_id(activities, "When"), "formula": "MAX(values)"}})
    add(companies, {"name": "Contact count", "type": "count", "options": {
        "recordLinkFieldId": field_id(companies, "Contacts")}})
    add(companies, {"name": "Pipeline value", "type": "rollup", "options": {
        "recordLinkFieldId": field_id(companies, "Deals"),
        "fieldIdInLinkedTable": field_id(deals, "Amount"), "formula": "SUM(values)"}})
    add(companies, {"name": "Deal names", "type": "multipleLookupValues", "options": {
        "recordLinkFieldId": field_id(companies, "Deals"),
        "fieldIdInLinkedTable": field_id(deals, "Deal")}})
    add(activities, {"name": "Deal stage", "type": "multipleLookupValues", "options": {
        "recordLinkFieldId": field_id(activities, "Deal"),
        "fieldIdInLinkedTable": field_id(deals, "Stage")}})
    return {"Companies": companies.id, "Contacts": contacts.id, "Deals": deals.id,
            "Activities": activities.id}


def _counts(records: int) -> dict[str, int]:
    counts = {name: int(records * share) for name, share in SHARES}
    counts["Activities"] += records - sum(counts.values())
    if records >= len(SHARES):
        for name in counts:
            if counts[name] == 0:
                largest = max(counts, key=counts.get)
                counts[largest] -= 1
                counts[name] = 1
    return counts


def _rows(counts: dict[str, int], rng: random.Random, today: date) -> dict[str, list[dict]]:
    """Fields of every record by table name; links name records by their index."""
    companies = []
    for index in range(counts["Companies"]):
        name = f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
        if index >= len(WORDS) * len(SUFFIXES) // 2:
            name = f"{name} {index}"
        slug = name.lower().replace(" ", "-")
        companies.append({
            "Name": name, "Industry": rng.choice(INDUSTRIES), "Website": f"https://{slug}.example",
            "Employees": rng.randint(5, 20000),
            "Founded": (today - timedelta(days=rng.randint(400, 15000))).isoformat(),
            "Logo": [{"url": f"https://{slug}.example/logo.png", "filename": f"{slug}.png"}],
            "Active": rng.random() < 0.8, "Tags": rng.sample(TAGS, rng.randint(0, 2))})
    contacts = []
    for _ in range(counts["Contacts"]):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = {
            "Full name": f"{first} {last}", "Title": rng.choice(TITLES),
            "Email": f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
            "Phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "Role": rng.choice(ROLES), "Subscribed": rng.random() < 0.5,
            "Last contacted": (today - timedelta(days=rng.randint(0, 365))).isoformat()}
        if companies:
            contact["Company"] = [rng.randrange(len(companies))]
        contacts.append(contact)
    deals = []
    for index in range(counts["Deals"]):
        stage = rng.choice(STAGES)
        deal = {"Deal": f"Deal {index + 1}", "Stage": stage,
                "Amount": round(rng.uniform(1000, 250000), 2),
                "Probability": {"Won": 1.0, "Lost": 0.0}.get(stage, rng.choice(
                    [0.1, 0.25, 0.5, 0.75])),
                "Close date": (today + timedelta(days=rng.randint(-180, 180))).isoformat()}
        if companies:
            deal["Company"] = [rng.randrange(len(companies))]
            deal["Deal"] = f"{companies[deal['Company'][0]]['Name']} deal {index + 1}"
        if contacts:
            deal["Primary contact"] = [rng.randrange(len(contacts))]
        deals.append(deal)
    activities = []
    start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    for index in range(counts["Activities"]):
        kind = rng.choice(ACTIVITY_TYPES)
        when = start - timedelta(minutes=rng.randint(0, 60 * 24 * 200))
        activity = {"Subject": f"{kind} #{index + 1}", "Type": kind,
                    "When": when.isoformat().replace("+00:00", "Z"), "Done": rng.random() < 0.6,
                    "Duration": rng.choice([900, 1800, 3600]),
                    "Notes": f"Talked about next steps.\nFollow up in {rng.randint(1, 4)} weeks."}
        if deals:
            activity["Deal"] = [rng.randrange(len(deals))]
        if contacts:
            activity["Contact"] = [rng.randrange(len(contacts))]
        activities.append(activity)
    return {"Companies": companies, "Contacts": contacts, "Deals": deals,
            "Activities": activities}


LINKS = {"Contacts": {"Company": "Companies"},
         "Deals": {"Company": "Companies", "Primary contact": "Contacts"},
         "Activities": {"Deal": "Deals", "Contact": "Contacts"}}


def _fill(token, base_id: str, table_ids: dict[str, str], records: int) -> None:
    rows = _rows(_counts(records), random.Random(records), date.today())
    with base_locked(token=token, base_id=base_id) as state:
        work = Work(state)
        made: dict[str, list[str]] = {}
        for table_name, _share in SHARES:
            table = state.tables[table_ids[table_name]]
            writer = FieldWriter(work, table, typecast=False)
            made[table_name] = []
            for fields in rows[table_name]:
                for link_name, linked_table in LINKS.get(table_name, {}).items():
                    if link_name in fields:
                        fields[link_name] = [made[linked_table][i] for i in fields[link_name]]
                record = work.create(table, {})
                work.set_fields(record, writer.stored({}, fields, replace=False))
                made[table_name].append(record.id)
        recompute(work, work.seeds())
        work.save()


def sandbox_seed_demo(*, records: int, token: str | None = None) -> tuple[str, str]:
    """The demo CRM base with ``records`` records spread over its tables: (base id, token).

    Without ``token`` a new token is made. With one, it is created if unknown,
    and a demo base it already has is returned as it is instead of a second one.
    """
    if type(records) is not int or records < 0:
        raise ValueError("records must be a whole number, 0 or more")
    owner, token, existing = token_for_seed(raw=token, name="demo", base_name=DEMO_BASE_NAME)
    if existing is not None:
        return existing.id, token
    with transaction.atomic():
        base = base_create(token=owner, name=DEMO_BASE_NAME, tables=[COMPANIES]).base
        table_ids = _schema(owner, base)
        if records:
            _fill(owner, base.id, table_ids, records)
    return base.id, token
