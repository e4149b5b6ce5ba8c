"""Lookup, rollup and count fields computed in bulk from linked records."""

from apps.formulas import LinkedField, compute_linked_fields

PROJECTS = [
    {
        "id": "recP1",
        "fields": {"Name": "Alpha", "Tasks": ["recT1", "recT2", "recT3"], "Owners": ["recU1"]},
    },
    {"id": "recP2", "fields": {"Name": "Beta", "Tasks": ["recT3", "recGone"]}},
    {"id": "recP3", "fields": {"Name": "Gamma"}},
]
TASKS = {
    "recT1": {"Title": "Design", "Hours": 5, "Done": True, "Labels": ["ux", "web"]},
    "recT2": {"Title": "Build", "Hours": 12.5, "Labels": ["web"]},
    "recT3": {"Title": "Ship", "Hours": 2, "Done": True},
}
USERS = {"recU1": {"Name": "Ada"}}
SCHEMAS = [
    LinkedField("Task titles", "multipleLookupValues", "Tasks", "tblTasks", "Title"),
    LinkedField("Task labels", "multipleLookupValues", "Tasks", "tblTasks", "Labels"),
    LinkedField("Total hours", "rollup", "Tasks", "tblTasks", "Hours", formula="SUM(values)"),
    LinkedField("Longest", "rollup", "Tasks", "tblTasks", "Hours", formula="MAX(values)"),
    LinkedField(
        "Titles", "rollup", "Tasks", "tblTasks", "Title", formula='ARRAYJOIN(values, ", ")'
    ),
    LinkedField("All done", "rollup", "Tasks", "tblTasks", "Done", formula="AND(values)"),
    LinkedField("Task slots", "rollup", "Tasks", "tblTasks", "Done", formula="COUNTALL(values)"),
    LinkedField("Task count", "count", "Tasks", "tblTasks"),
    LinkedField(
        "Done hours",
        "rollup",
        "Tasks",
        "tblTasks",
        "Hours",
        formula="SUM(values)",
        condition="{Done}",
    ),
    LinkedField("Owner names", "multipleLookupValues", "Owners", "tblUsers", "Name"),
]


def _fetcher(calls):
    tables = {"tblTasks": TASKS, "tblUsers": USERS}

    def fetch(table_id, record_ids):
        calls.append((table_id, tuple(record_ids)))
        return {rid: tables[table_id][rid] for rid in record_ids if rid in tables[table_id]}

    return fetch


def test_linked_fields_for_a_batch():
    calls = []
    result = compute_linked_fields(PROJECTS, SCHEMAS, _fetcher(calls))
    assert result["recP1"] == {
        "Task titles": ["Design", "Build", "Ship"],
        "Task labels": ["ux", "web", "web"],
        "Total hours": 19.5,
        "Longest": 12.5,
        "Titles": "Design, Build, Ship",
        "All done": 0,
        "Task slots": 3,
        "Task count": 3,
        "Done hours": 7,
        "Owner names": ["Ada"],
    }
    assert result["recP2"] == {
        "Task titles": ["Ship"],
        "Total hours": 2,
        "Longest": 2,
        "Titles": "Ship",
        "All done": 1,
        "Task slots": 1,
        "Task count": 1,
        "Done hours": 2,
    }
    assert result["recP3"] == {
        "Total hours": 0,
        "Longest": 0,
        "All done": 1,
        "Task count": 0,
        "Task slots": 0,
        "Done hours": 0,
    }


def test_each_linked_table_is_fetched_once_for_the_whole_batch():
    calls = []
    compute_linked_fields(PROJECTS, SCHEMAS, _fetcher(calls))
    assert sorted(calls) == [
        ("tblTasks", ("recGone", "recT1", "recT2", "recT3")),
        ("tblUsers", ("recU1",)),
    ]
