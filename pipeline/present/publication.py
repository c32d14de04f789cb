"""Publication details: who publishes the release, whom to ask, its licence, version, date and how
to cite it, from report.yaml's `publication:` and the data folder's edition.yaml `release:`.

The cover, the web page's publication details and the workbook's cover all print this one object,
so the three never disagree. The format of the citation follows the GOV.UK statistics guidance
("publisher (year). Title. Series. Version. URL or place") without a URL, which a local build
cannot know.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pipeline.spec.schema.data_folder import Edition


@dataclass(frozen=True)
class Publication:
    title: str
    series: str
    publisher: str
    contact_name: str
    contact_email: str
    licence_name: str
    licence_url: str
    copyright: str | None
    version: str | None  # None: a draft build, not a release
    date: datetime.date | None

    @property
    def released(self) -> bool:
        return self.version is not None

    @property
    def version_text(self) -> str:
        return f"Version {self.version}" if self.version else "Draft (not a release: edition.yaml has no `release:`)"

    @property
    def date_text(self) -> str:
        return long_date(self.date) if self.date else "Not published"

    @property
    def copyright_text(self) -> str | None:
        if not self.copyright:
            return None
        return f"© {self.copyright} {self.date.year}" if self.date else f"© {self.copyright}"

    @property
    def citation(self) -> str:
        year = str(self.date.year) if self.date else "draft"
        version = f" Version {self.version}." if self.version else " Draft."
        return f"{self.publisher} ({year}). {self.title}. {self.series}.{version}"


def long_date(day: datetime.date) -> str:
    """'2 December 2026', the GOV.UK style (no leading zero, no ordinal)."""
    return f"{day.day} {day:%B %Y}"


def publication_details(config: dict, edition: Edition) -> Publication:
    """The release's details from report.yaml (`config`, the validated dict) and the edition."""
    pub = config["publication"]
    release = edition.release
    return Publication(
        title=config["title"],
        series=config["series"],
        publisher=pub["publisher"],
        contact_name=pub["contact"]["name"],
        contact_email=pub["contact"]["email"],
        licence_name=pub["licence"]["name"],
        licence_url=pub["licence"]["url"],
        copyright=pub.get("copyright"),
        version=release.version if release else None,
        date=release.date if release else None,
    )
