"""The assistant a landlord would otherwise set up: Rasa's default configuration trained on TenantLine's NLU data.

There are no custom actions: a generated domain answers every intent with one fixed response, through one rule
per intent, so the same model serves both the understanding comparison (its NLU) and the bare-Rasa speed
baseline (REST channel, no action server). Models are kept under the bench's work folder, named by a
fingerprint of their inputs, so a second run with unchanged data reuses the first run's model.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "rasa_default.yml"
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
FAQ_DOMAIN = PROJECT_ROOT / "domain" / "faq.yml"


def bare_domain_and_rules(nlu_data: Path = NLU_DATA) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return a minimal domain and one rule per intent answering it with a fixed response.

    Args:
        nlu_data: The NLU training data (a file or folder).

    Returns:
        The domain and the rules file, as YAML-ready mappings.
    """
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(nlu_data))
    intents = sorted(data.intents)
    responses: dict[str, Any] = {f"utter_bench_{i}": [{"text": f"(bench) You asked about {i}."}] for i in intents}
    faq = yaml.safe_load(FAQ_DOMAIN.read_text(encoding="utf-8")) if FAQ_DOMAIN.exists() else {}
    responses.update({k: v for k, v in (faq.get("responses") or {}).items() if k.startswith("utter_faq/")})
    rules = []
    for intent in intents:
        action = "utter_faq" if intent in data.retrieval_intents else f"utter_bench_{intent}"
        rules.append({"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": action}]})
    domain = {
        "version": "3.1",
        "intents": intents,
        "entities": sorted(data.entities),
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    if any(i in data.retrieval_intents for i in intents):
        domain["actions"] = ["utter_faq"]
    return domain, {"version": "3.1", "rules": rules}


def fingerprint(*parts: bytes) -> str:
    """Return a short hex digest of the inputs a model is trained from."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _nlu_bytes(folder: Path) -> bytes:
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*.yml"))
    return b"".join(p.read_bytes() for p in files)


def ensure_default_model(work: Path) -> tuple[Path, float | None]:
    """Train Rasa's default configuration on the project's NLU data unless that model already exists.

    Args:
        work: The bench's work folder (models and the generated domain go there).

    Returns:
        The model, and the training time in seconds (None when an existing model was reused).

    Raises:
        RuntimeError: If `rasa train` fails.
    """
    domain, rules = bare_domain_and_rules()
    domain_text, rules_text = yaml.safe_dump(domain, sort_keys=False), yaml.safe_dump(rules, sort_keys=False)
    name = "rasa-default-" + fingerprint(
        DEFAULT_CONFIG.read_bytes(), _nlu_bytes(NLU_DATA), domain_text.encode(), rules_text.encode()
    )
    models = work / "models"
    target = models / f"{name}.tar.gz"
    if target.exists():
        return target, None
    inputs = work / "default-inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "domain.yml").write_text(domain_text, encoding="utf-8")
    (inputs / "rules.yml").write_text(rules_text, encoding="utf-8")
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(work / "default-cache"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [
        sys.executable, "-m", "rasa", "train", "--config", str(DEFAULT_CONFIG), "--domain", str(inputs / "domain.yml"),
        "--data", str(NLU_DATA), str(inputs / "rules.yml"), "--out", str(models), "--fixed-model-name", name,
    ]  # fmt: skip
    started = time.perf_counter()
    with (work / "train-default.log").open("wb") as log:
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"training Rasa's default model failed ({result.returncode}); see {work}/train-default.log")
    return target, elapsed
