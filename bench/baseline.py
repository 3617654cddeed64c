"""The assistant a landlord would otherwise set up: Rasa's default configuration trained on TenantLine's NLU data.

"Rasa's default configuration" is taken from the installed Rasa itself: the `config.yml` that `rasa init` writes
leaves `pipeline` and `policies` empty, and `rasa train` then fills both in from
`rasa/engine/recipes/config_files/default_config.yml` (DIET and ResponseSelector 100 epochs with two 256-unit
transformer layers, character n-grams 1-4, MemoizationPolicy, RulePolicy, UnexpecTEDIntentPolicy and TEDPolicy 100
epochs). The bench trains that file as it is, so the baseline can never drift from what Rasa really does.

One model serves both the understanding comparison (its NLU) and the bare-Rasa speed baseline (REST channel, no
action server). There are no custom actions: a generated domain answers every intent with one fixed response,
through one rule per intent. With rules and no stories, TEDPolicy and UnexpecTEDIntentPolicy have nothing to learn
(they train only on stories) and finish at once, so the policies stay Rasa's defaults without costing time.

Training NLU alone (`rasa train nlu`) and reusing it for the full model through Rasa's cache does not save a
second DIET training: a full training adds the stories' intents and action names to the NLU training data, which
changes the fingerprint of every NLU component, so Rasa trains DIET again. One full training is the least work.

The model is kept in the bench's work folder (var/bench) under a fingerprint of everything it is trained from
(the Rasa version, the configuration, the NLU data and the generated domain and rules), so a second run with the
same inputs reuses it instead of training again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

NLU_DATA = PROJECT_ROOT / "data" / "nlu"
FAQ_DOMAIN = PROJECT_ROOT / "domain" / "faq.yml"
ASSISTANT_ID = "bench_rasa_default"


def rasa_default_config_file() -> Path:
    """Return the default configuration file of the installed Rasa (what `rasa train` uses for `rasa init`)."""
    import rasa.engine.recipes.default_recipe as recipe

    return Path(recipe.__file__).resolve().parent / "config_files" / "default_config.yml"


def rasa_default_config() -> dict[str, Any]:
    """Return Rasa's default configuration with the bench's assistant id.

    Raises:
        RuntimeError: If the installed Rasa has no default configuration with a pipeline and policies.
    """
    path = rasa_default_config_file()
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RuntimeError(f"cannot read Rasa's default configuration at {path}: {error}") from error
    if not isinstance(config, dict) or not config.get("pipeline") or not config.get("policies"):
        raise RuntimeError(f"Rasa's default configuration at {path} has no pipeline or no policies")
    config["assistant_id"] = ASSISTANT_ID
    return config


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


@dataclass(frozen=True)
class DefaultModel:
    """Rasa's default configuration, trained: where it is and what training it cost."""

    path: Path
    train_seconds: float | None
    """Seconds `rasa train` took in this run; None when a model for the same inputs was reused."""
    log: Path


def ensure_default_model(work: Path, nlu_data: Path = NLU_DATA) -> DefaultModel:
    """Train Rasa's default configuration on the project's NLU data unless that model already exists.

    Args:
        work: The bench's work folder (models, the generated inputs and Rasa's cache go there).
        nlu_data: The NLU training data.

    Returns:
        The model, and the training time when it was trained now.

    Raises:
        RuntimeError: If `rasa train` fails.
    """
    import rasa

    config = rasa_default_config()
    domain, rules = bare_domain_and_rules(nlu_data)
    config_text = yaml.safe_dump(config, sort_keys=False)
    domain_text, rules_text = yaml.safe_dump(domain, sort_keys=False), yaml.safe_dump(rules, sort_keys=False)
    name = "rasa-default-" + fingerprint(
        rasa.__version__.encode(),
        config_text.encode(),
        _nlu_bytes(nlu_data),
        domain_text.encode(),
        rules_text.encode(),
    )
    models = work / "models"
    target = models / f"{name}.tar.gz"
    log_path = work / f"train-{name}.log"
    if target.exists():
        return DefaultModel(target, None, log_path)
    inputs = work / "default-inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "config.yml").write_text(config_text, encoding="utf-8")
    (inputs / "domain.yml").write_text(domain_text, encoding="utf-8")
    (inputs / "rules.yml").write_text(rules_text, encoding="utf-8")
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(work / "default-cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    command = [
        sys.executable, "-m", "rasa", "train", "--config", str(inputs / "config.yml"),
        "--domain", str(inputs / "domain.yml"), "--data", str(nlu_data), str(inputs / "rules.yml"),
        "--out", str(models), "--fixed-model-name", name,
    ]  # fmt: skip
    started = time.perf_counter()
    with log_path.open("wb") as log:
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"training Rasa's default model failed ({result.returncode}); see {log_path}")
    return DefaultModel(target, round(elapsed, 1), log_path)
