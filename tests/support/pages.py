"""Addresses of the public pages, as a reader would find them from the API's ids."""

from __future__ import annotations

from tests.support.graphql import Client


async def current_plan_id(client: Client, slug: str) -> str:
    data = await client.data(
        "query($slug: String!) { collectivity(slug: $slug) { currentPlan { id } } }", {"slug": slug}
    )
    return str(data["collectivity"]["currentPlan"]["id"])


async def plan_path(client: Client, slug: str) -> str:
    """`/c/{slug}/plans/{planId}` of the collectivity's current plan."""
    return f"/c/{slug}/plans/{await current_plan_id(client, slug)}"


async def first_commitment_id(client: Client, slug: str) -> str:
    """The first commitment of the collectivity's current plan."""
    data = await client.data(
        "query($slug: String!) { collectivity(slug: $slug) { currentPlan { "
        "commitments(first: 1) { nodes { id } } } } }",
        {"slug": slug},
    )
    return str(data["collectivity"]["currentPlan"]["commitments"]["nodes"][0]["id"])
