"""The printable program impact report: the dashboard of one program or cohort, regrouped under the three
questions a program sponsor asks (did people take part, did they grow, did departments work together), with the
same charts, tables and suppression."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.dashboard import Card, Dashboard, Section

PARTS = (
    (
        "Participation",
        ("participation_rate", "attendance_rate", "match_rate", "at_risk_share"),
        ("trend-participation_rate", "trend-attendance_rate", "department-gap"),
    ),
    ("Capability growth", ("capability_growth", "satisfaction"), ("capability", "trend-satisfaction")),
    ("Collaboration", ("cross_department_share",), ("collaboration",)),
)


@dataclass
class Part:
    title: str
    cards: list[Card]
    sections: list[Section]


def impact_report(dashboard: Dashboard) -> list[Part]:
    """The report's parts, empty when the dashboard is in an empty state (the page then shows why)."""
    if dashboard.empty is not None:
        return []
    cards = {card.key: card for card in dashboard.cards}
    sections = {section.key: section for section in dashboard.sections}
    return [
        Part(title, [cards[k] for k in card_keys if k in cards], [sections[k] for k in section_keys if k in sections])
        for title, card_keys, section_keys in PARTS
    ]
