"""The issue's question end to end: the model calls `list_records` on a base synced from the
sandbox into the team's mirror, and answers with the records it used. Through the real
`openai` SDK (JSON and SSE) and through `google-genai`."""

import json
import re

import pytest
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from apps.airtable import selectors as airtable_selectors
from tests.conftest import committed_team, demo_base_connected
from tests.support.gemini_server import gemini_call, gemini_text_reply, gemini_tool_call_reply
from tests.support.openai_server import call, text_reply, tool_call_reply

from .conftest import ask, conversation, sent_messages, sse

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST_CLIENT = {"AIRTABLE_RATE_LIMIT_PER_BASE": 1000.0, "AIRTABLE_RATE_LIMIT_PER_TOKEN": 5000.0,
               "AIRTABLE_RATE_LIMIT_WAIT_SECONDS": 0.2, "AIRTABLE_RETRY_BACKOFF_SECONDS": 0.01}
QUESTION = "Which deals over $10k closed last month, and who owns them?"
FORMULA = "AND({Stage} = 'Won', {Amount} > 10000)"
FIELDS = ["Deal", "Amount", "Close date", "Primary contact"]


@pytest.fixture(scope="module")
def crm(platform_server_factory, django_db_blocker):
    """A team with the demo CRM base connected and synced into its mirror, committed."""
    server = platform_server_factory(**UNLIMITED)
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team = committed_team("chat-crm")
        base_id, _ = demo_base_connected(team, server.url, records=80, name="Demo CRM")
    return team, base_id


@pytest.fixture(autouse=True)
def _fast_client(settings):
    for name, value in FAST_CLIENT.items():
        setattr(settings, name, value)


def won_deals(team, base_id) -> list[dict]:
    with tenant_context(team.tenant):
        return airtable_selectors.record_list(base_id=base_id, table="Deals",
                                              filter_by_formula=FORMULA, fields=FIELDS,
                                              page_size=50)["records"]


def test_openai_lists_records_and_answers_with_them(crm, client_for, openai_env):
    team, base_id = crm
    deals = won_deals(team, base_id)
    assert deals, "the demo base has won deals over $10k"
    cited = deals[0]
    openai_env.plan(
        tool_call_reply(call("list_records", {"baseId": base_id, "table": "Deals",
                                              "filterByFormula": FORMULA, "fields": FIELDS},
                             id="call_deals")),
        text_reply(f"{cited['fields']['Deal']} ({cited['id']}) closed for "
                   f"${cited['fields']['Amount']:,.0f}."))
    client = client_for(jwt=team.jwt())
    chat = conversation(client)

    response, events = sse(client, chat["id"], QUESTION)

    assert response.status_code == 200
    result = dict(events)["tool_result"]
    assert result["is_error"] is False
    assert [r["id"] for r in result["result"]["records"]] == [d["id"] for d in deals]
    done = dict(events)["done"]
    assert cited["id"] in done["message"]["content"]
    assert cited["id"] in [source["id"] for source in done["message"]["sources"]]
    # The model was told about the base up front, and got the records back.
    system = sent_messages(openai_env, 0)[0]["content"]
    assert base_id in system and "Deals" in system and "Amount" in system
    tool_message = sent_messages(openai_env, 1)[-1]
    assert tool_message["tool_call_id"] == "call_deals"
    assert cited["id"] in tool_message["content"]
    assert json.loads(tool_message["content"])["records"][0]["fields"]["Deal"] == \
        cited["fields"]["Deal"]


def test_openai_json_answer_carries_the_sources(crm, client_for, openai_env):
    team, base_id = crm
    deals = won_deals(team, base_id)
    openai_env.plan(tool_call_reply(call("list_records", {"baseId": base_id, "table": "Deals",
                                                          "filterByFormula": FORMULA})),
                    text_reply(f"The first is {deals[0]['id']}."))
    client = client_for(jwt=team.jwt())

    answer = ask(client, conversation(client)["id"], QUESTION).json()

    assert {source["id"] for source in answer["sources"]} == {d["id"] for d in deals}


def test_gemini_lists_records_and_answers_with_them(crm, client_for, gemini_for):
    team, base_id = crm
    deals = won_deals(team, base_id)
    server = gemini_for(team)
    server.plan(gemini_tool_call_reply(gemini_call("list_records", {
        "baseId": base_id, "table": "Deals", "filterByFormula": FORMULA, "fields": FIELDS})),
        gemini_text_reply(f"{deals[0]['fields']['Deal']} ({deals[0]['id']})."))
    client = client_for(jwt=team.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    done = dict(events)["done"]
    assert deals[0]["id"] in done["message"]["content"]
    assert deals[0]["id"] in [source["id"] for source in done["message"]["sources"]]
    returned = next(part["functionResponse"] for content in
                    server.requests[1]["body"]["contents"] for part in content["parts"]
                    if "functionResponse" in part)
    assert [r["id"] for r in returned["response"]["result"]["records"]] == \
        [d["id"] for d in deals]


def test_a_reloaded_answer_shows_the_counts_seen_live_and_names_its_sources(
        crm, client_for, openai_env):
    team, base_id = crm
    deals = won_deals(team, base_id)
    openai_env.plan(
        tool_call_reply(call("list_records", {"baseId": base_id, "table": "Deals",
                                              "filterByFormula": FORMULA, "fields": FIELDS}),
                        prompt_tokens=310, completion_tokens=17),
        text_reply("Here they are.", prompt_tokens=905, completion_tokens=42))
    chat = conversation(client_for(jwt=team.jwt()))

    _response, events = sse(client_for(jwt=team.jwt()), chat["id"], QUESTION)

    done = dict(events)["done"]
    live = done["usage"]
    # The answer's counts are the turn's: both model calls, prompt and completion.
    assert (live["total_tokens"], live["rounds"]) == (310 + 17 + 905 + 42, 2)
    names = {source["id"]: source["name"] for source in done["message"]["sources"]}
    assert names == {deal["id"]: deal["fields"]["Deal"] for deal in deals}

    page = Client()
    page.force_login(team.owner)
    session = page.session
    session["active_tenant_id"] = team.tenant.pk
    session.save()
    html = page.get(f"/chat/{chat['id']}/").content.decode()
    metas = re.findall(r'<span class="meta">([^<]*)</span>', html)
    assert metas == [f"{done['message']['usage']['model']} · {live['total_tokens']} tokens · "
                     f"${live['cost']:.4f} · 2 steps"]
    for deal in deals:
        assert f'<span class="source" title="{deal["id"]}">{deal["fields"]["Deal"]}</span>' \
            in html
    assert f"<code>{deals[0]['id']}</code>" not in html
