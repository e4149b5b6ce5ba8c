"""A sandbox base with a field of every kind, and one query per kind over it.

Items (``records`` of them) link to Companies (one company per hundred items) and carry
text, number, currency, percent, duration, date, dateTime, checkbox, single and multiple
selects, a collaborator, attachments, an autonumber, created and last-modified times, a
link, a lookup, a rollup, a count and formulas giving a number, text, a date and a
checkbox. The same ``records`` always gives the same data. The records API test runs the
queries on 2,000 items, bench/airtable_agreement.py on 100,000.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

BASE_NAME = "Field kinds"
STATUSES = [f"S{index}" for index in range(7)]
TAGS = [f"T{index}" for index in range(5)]
OWNERS = [("usrAdaLovelace0001", "ada@example.com", "Ada Lovelace"),
          ("usrGraceHopper0002", "grace@example.com", "Grace Hopper"),
          ("usrAlanTuring00003", "alan@example.com", "Alan Turing"),
          ("usrEdsgerDijkstra4", "edsger@example.com", "Edsger Dijkstra")]
WINDOW = 200


def _choices(names: list[str]) -> dict:
    return {"choices": [{"name": name} for name in names]}


ITEMS = {"name": "Items", "fields": [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Seq", "type": "number", "options": {"precision": 0}},
    {"name": "Qty", "type": "number", "options": {"precision": 0}},
    {"name": "Price", "type": "currency", "options": {"precision": 2, "symbol": "$"}},
    {"name": "Rate", "type": "percent", "options": {"precision": 1}},
    {"name": "Time", "type": "duration", "options": {"durationFormat": "h:mm"}},
    {"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    {"name": "When", "type": "dateTime", "options": {
        "dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"}},
    {"name": "Done", "type": "checkbox"},
    {"name": "Status", "type": "singleSelect", "options": _choices(STATUSES)},
    {"name": "Tags", "type": "multipleSelects", "options": _choices(TAGS)},
    {"name": "Owner", "type": "singleCollaborator"},
    {"name": "Files", "type": "multipleAttachments"},
    {"name": "No", "type": "autoNumber"},
    {"name": "Created", "type": "createdTime"},
    {"name": "Modified", "type": "lastModifiedTime"},
]}
COMPANIES = {"name": "Companies", "fields": [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Employees", "type": "number", "options": {"precision": 0}},
]}


def company_count(records: int) -> int:
    return max(10, records // 100)


def company_fields(index: int) -> dict:
    return {"Name": f"Company {index:04d}", "Employees": (index * 37) % 20000 + 1}


def item_fields(index: int, company_ids: list[str]) -> dict:
    """Fields of item ``index``; links name companies by id."""
    fields = {
        "Name": f"Item {index:06d}", "Seq": index, "Qty": (index * 7919) % 1000,
        "Price": round((index * 104729) % 100000 / 100, 2), "Rate": (index * 31) % 1000 / 1000,
        "Time": (index * 13) % 5000 * 60,
        "Due": (date(2020, 1, 1) + timedelta(days=index * 17 % 3650)).isoformat(),
        "When": (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=index * 7777 % 1576800))
        .strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    if index % 3 == 0:
        fields["Done"] = True
    if index % 11:
        fields["Status"] = STATUSES[index * 3 % len(STATUSES)]
    tags = [tag for bit, tag in enumerate(TAGS) if (index >> bit) & 1 and (index + bit) % 3]
    if tags:
        fields["Tags"] = tags
    if index % 4:
        owner = OWNERS[index % len(OWNERS)]
        fields["Owner"] = {"id": owner[0], "email": owner[1], "name": owner[2]}
    if index % 2 == 0:
        fields["Files"] = [{"url": f"https://files.example/{index % 500}.png",
                            "filename": f"file-{index % 500}.png"}]
    if index % 13:
        count = len(company_ids)
        fields["Company"] = [company_ids[index % count]]
        if index % 5 == 0:
            fields["Company"].append(company_ids[(index + 7) % count])
    return fields


def base_make(token, records: int, progress=None) -> str:
    """The base, made with the sandbox's own services as ``token`` (a SandboxToken);
    its id. Computed fields come last: the sandbox fills them for every record at once."""
    from apps.sandbox.services import base_create, field_create, records_create, table_create

    state = base_create(token=token, name=BASE_NAME, tables=[COMPANIES])
    base_id = state.base.id
    companies = []
    for start in range(0, company_count(records), 10):
        _state, made = records_create(token=token, base_id=base_id, table_key="Companies",
                                      typecast=False, items=[
                                          company_fields(index) for index in
                                          range(start, min(company_count(records), start + 10))])
        companies += [record.id for record in made]
    items = {**ITEMS, "fields": [*ITEMS["fields"], {
        "name": "Company", "type": "multipleRecordLinks",
        "options": {"linkedTableId": state.table("Companies").id}}]}
    table = table_create(token=token, base_id=base_id, spec=items)
    for start in range(0, records, 10):
        records_create(token=token, base_id=base_id, table_key="Items", typecast=False,
                       items=[item_fields(index, companies)
                              for index in range(start, min(records, start + 10))])
        if progress and start and start % 20_000 == 0:
            progress(start)
    link = table.field("Company")["id"]
    linked = state.table("Companies")
    for spec in [
        {"name": "Company name", "type": "multipleLookupValues", "options": {
            "recordLinkFieldId": link, "fieldIdInLinkedTable": linked.field("Name")["id"]}},
        {"name": "Company size", "type": "rollup", "options": {
            "recordLinkFieldId": link, "fieldIdInLinkedTable": linked.field("Employees")["id"],
            "formula": "SUM(values)"}},
        {"name": "Company count", "type": "count", "options": {"recordLinkFieldId": link}},
        {"name": "Total", "type": "formula", "options": {"formula": "{Qty} * {Price}"}},
        {"name": "Label", "type": "formula", "options": {"formula": "{Name} & ' ' & {Status}"}},
        {"name": "Due next", "type": "formula",
         "options": {"formula": "DATEADD({Due}, 7, 'days')"}},
        {"name": "Big", "type": "formula", "options": {"formula": "AND({Done}, {Qty} > 500)"}},
    ]:
        field_create(token=token, base_id=base_id, table_key="Items", spec=spec)
    return base_id


# (field kind, the field, its condition): each is asked over a window of WINDOW items in
# the middle of the table (so an answer is at most two pages), sorted by the field
# descending; the link is asked over the whole table.
KIND_QUERIES = [
    ("text", "Name", "FIND('5', {Name})"),
    ("number", "Qty", "{Qty} > 500"),
    ("currency", "Price", "{Price} >= 250"),
    ("percent", "Rate", "{Rate} < 0.5"),
    ("duration", "Time", "{Time} >= 3600 * 20"),
    ("date", "Due", "IS_AFTER({Due}, '2024-06-30')"),
    ("dateTime", "When", "IS_BEFORE({When}, '2025-06-01T12:00:00.000Z')"),
    ("checkbox", "Done", "OR({Done}, {Qty} < 100)"),
    ("singleSelect", "Status", "OR({Status} = 'S3', {Status} = BLANK())"),
    ("multipleSelects", "Tags", "FIND('T1', ARRAYJOIN({Tags}))"),
    ("lookup", "Company name", "FIND('1', {Company name} & '')"),
    ("rollup", "Company size", "{Company size} > 300"),
    ("count", "Company count", "{Company count} >= 1"),
    ("formula (number)", "Total", "{Total} > 100000"),
    ("formula (text)", "Label", "FIND('S2', {Label})"),
    ("formula (date)", "Due next", "IS_AFTER({Due next}, '2023-01-01')"),
    ("formula (checkbox)", "Big", "{Big}"),
    ("createdTime", "Created", "IS_AFTER({Created}, '2000-01-01')"),
    ("lastModifiedTime", "Modified", "IS_AFTER({Modified}, '2000-01-01')"),
    ("autoNumber", "No", "MOD({No}, 3) = 1"),
    ("collaborator", "Owner", "{Owner} = 'Grace Hopper'"),
    ("attachment", "Files", "FIND('file-1', {Files} & '')"),
]


def queries(records: int) -> list[tuple[str, dict]]:
    """(field kind, list-records parameters) for a base of ``records`` items."""
    low = records // 2
    window = f"{{Seq}} >= {low}, {{Seq}} < {low + WINDOW}"
    out = [(kind, {"filterByFormula": f"AND({window}, {condition})",
                   "sort[0][field]": field, "sort[0][direction]": "desc"})
           for kind, field, condition in KIND_QUERIES]
    # An item whose index is a multiple of 5 links to two companies: this one has one.
    company = company_fields((low + 1) % company_count(records))["Name"]
    out.insert(10, ("link", {"filterByFormula": f"{{Company}} = '{company}'",
                             "sort[0][field]": "Company", "sort[0][direction]": "desc"}))
    return out
