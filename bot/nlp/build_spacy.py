"""Build TenantLine's spaCy pipeline from `spacy.blank("en")`.

No pretrained spaCy model can be downloaded where TenantLine is built, and none is needed: the Rasa pipeline learns
its own features. spaCy contributes tokenisation, lookup lemmas (from spacy-lookups-data, so "boilers"/"leaking" and
"boiler"/"leak" share features) and an entity ruler for the identifiers tenants type: UK postcodes, tenancy
references and UK phone numbers. Rasa's SpacyNLP loads the saved pipeline from disk.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import spacy

# Rasa's SpacyEntityExtractor reports each ruler label as the entity name, so labels are the taxonomy's names.
POSTCODE_OUTWARD = r"^(?i:[a-z]{1,2}[0-9][a-z0-9]?)$"
POSTCODE_INWARD = r"^(?i:[0-9][a-z]{2})$"
POSTCODE_WHOLE = r"^(?i:[a-z]{1,2}[0-9][a-z0-9]?[0-9][a-z]{2})$"
TENANCY_REFERENCE = r"^(?i:tn[0-9]{6})$"
UK_MOBILE_WHOLE = r"^(?:\+?44|0)7[0-9]{9}$"


def entity_patterns() -> list[dict[str, Any]]:
    """Return the entity ruler's token patterns for postcodes, tenancy references and phone numbers."""
    return [
        {"label": "postcode", "pattern": [{"TEXT": {"REGEX": POSTCODE_OUTWARD}}, {"TEXT": {"REGEX": POSTCODE_INWARD}}]},
        {"label": "postcode", "pattern": [{"TEXT": {"REGEX": POSTCODE_WHOLE}}]},
        {"label": "tenancy_reference", "pattern": [{"TEXT": {"REGEX": TENANCY_REFERENCE}}]},
        {"label": "phone_number", "pattern": [{"TEXT": {"REGEX": UK_MOBILE_WHOLE}}]},
        # "07700 900123" and "+44 7700 900123" arrive as two or three tokens.
        {
            "label": "phone_number",
            "pattern": [{"TEXT": {"REGEX": r"^0?7[0-9]{3}$"}}, {"TEXT": {"REGEX": r"^[0-9]{6}$"}}],
        },
        {
            "label": "phone_number",
            "pattern": [
                {"TEXT": {"REGEX": r"^\+?44$"}},
                {"TEXT": {"REGEX": r"^7[0-9]{3}$"}},
                {"TEXT": {"REGEX": r"^[0-9]{6}$"}},
            ],
        },
    ]


def make_pipeline() -> spacy.language.Language:
    """Return the initialised pipeline: blank English, lookup lemmatizer and entity ruler."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler")
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data; also empties the ruler
    ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
    nlp.meta["name"] = "tenantline"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank English with lookup lemmas and an entity ruler for tenant identifiers."
    return nlp


def build(target: Path) -> Path:
    """Build the pipeline and save it to `target`, replacing any earlier build.

    Args:
        target: Directory to write; created if missing.

    Returns:
        The directory written.
    """
    nlp = make_pipeline()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".tmp")
    if staging.exists():
        shutil.rmtree(staging)
    nlp.to_disk(staging)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


if __name__ == "__main__":
    print(build(Path(__file__).resolve().parents[2] / "var" / "spacy" / "en_tenantline"))
